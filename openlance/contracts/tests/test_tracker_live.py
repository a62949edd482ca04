"""The command-line tracker against a live test server: start, stop and upload; offline,
the interval is kept and uploaded later without doubling; a retried upload whose answer
was lost finds the entry it made; an interval across Monday 00:00 UTC is cut in two."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from openlance.accounts.services import token_create
from openlance.contracts.models import Contract, TimeEntry, TimeEntrySource
from openlance.contracts.tests.factories import contract_hourly
from openlance.core import clock
from openlance_tracker import cli

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

TUESDAY = datetime(2026, 11, 3, 9, tzinfo=UTC)


@pytest.fixture
def hired() -> Contract:
    with clock.frozen_at(TUESDAY - timedelta(days=1)):
        contract = contract_hourly()
    Contract.objects.filter(pk=contract.pk).update(manual_time_allowed=False)
    return contract


def run(monkeypatch, tmp_path, url: str, token: str, *argv: str) -> tuple[int, str]:
    monkeypatch.setenv("OPENLANCE_URL", url)
    monkeypatch.setenv("OPENLANCE_TOKEN", token)
    monkeypatch.setenv("OPENLANCE_TRACKER_HOME", str(tmp_path))
    out = io.StringIO()
    return cli.main(list(argv), out=out), out.getvalue()


def test_start_stop_uploads_tracked_time_and_log_shows_it(
    live_server, hired, monkeypatch, tmp_path
):
    token = token_create(user=hired.freelancer, name="tracker")[1]
    with time_machine.travel(TUESDAY, tick=False):
        code, out = run(
            monkeypatch,
            tmp_path,
            live_server.url,
            token,
            "start",
            "--contract",
            str(hired.pk),
            "--memo",
            "Checkout",
        )
    assert code == 0, out
    with time_machine.travel(TUESDAY + timedelta(hours=2), tick=False):
        code, out = run(monkeypatch, tmp_path, live_server.url, token, "stop")
        assert code == 0, out
        assert "Uploaded 1 interval(s)" in out
        _, log = run(
            monkeypatch, tmp_path, live_server.url, token, "log", "--contract", str(hired.pk)
        )
    entry = TimeEntry.objects.get(contract=hired)
    assert (entry.seconds, entry.source, entry.memo) == (7200, TimeEntrySource.TRACKED, "Checkout")
    assert "2:00 logged" in log
    assert "tracked" in log


def test_offline_intervals_wait_and_upload_once(live_server, hired, monkeypatch, tmp_path):
    token = token_create(user=hired.freelancer, name="tracker")[1]
    offline = "http://127.0.0.1:9"  # nothing listens on the discard port
    with time_machine.travel(TUESDAY, tick=False):
        run(monkeypatch, tmp_path, offline, token, "start", "--contract", str(hired.pk))
    with time_machine.travel(TUESDAY + timedelta(hours=1), tick=False):
        code, out = run(monkeypatch, tmp_path, offline, token, "stop")
        assert code == 0
        assert "Offline" in out
        _, status = run(monkeypatch, tmp_path, offline, token, "status")
        assert "1 interval(s) waiting to upload." in status
    assert not TimeEntry.objects.exists()
    # The answer to an upload is lost: the tracker still holds the interval, and sends it
    # again under the same key.
    state = cli.State.load(tmp_path / "state.json")
    api = cli.Api(live_server.url, token)
    item = state.queue[0]
    with time_machine.travel(TUESDAY + timedelta(hours=2), tick=False):
        status_code, _ = api.call(
            "POST",
            f"/contracts/{item.contract}/time-entries",
            {"started_at": item.started_at, "ended_at": item.ended_at, "memo": item.memo},
            key=item.key,
        )
        assert status_code == 201
        code, out = run(monkeypatch, tmp_path, live_server.url, token, "sync")
        assert "Uploaded 1 interval(s)" in out
        code, out = run(monkeypatch, tmp_path, live_server.url, token, "sync")
        assert "Uploaded 0 interval(s)" in out
    assert TimeEntry.objects.filter(contract=hired).count() == 1


def test_an_interval_across_monday_midnight_is_cut_into_its_weeks():
    sunday = datetime(2026, 11, 8, 23, tzinfo=UTC)
    pieces = cli.split_by_week(7, sunday, sunday + timedelta(hours=2), "Late")
    assert [(p.started_at, p.ended_at) for p in pieces] == [
        ("2026-11-08T23:00:00Z", "2026-11-09T00:00:00Z"),
        ("2026-11-09T00:00:00Z", "2026-11-09T01:00:00Z"),
    ]
    assert len({p.key for p in pieces}) == 2


def test_a_refused_interval_is_reported_and_does_not_block_the_queue(
    live_server, hired, monkeypatch, tmp_path
):
    token = token_create(user=hired.freelancer, name="tracker")[1]
    with time_machine.travel(TUESDAY, tick=False):
        run(monkeypatch, tmp_path, live_server.url, token, "start", "--contract", "999999")
    with time_machine.travel(TUESDAY + timedelta(hours=1), tick=False):
        _, out = run(monkeypatch, tmp_path, live_server.url, token, "stop")
    assert "Refused" in out
    assert "no such contract" in out.lower()
    assert cli.State.load(tmp_path / "state.json").queue == []


class DownApi(cli.Api):
    """An API that answers 503, as a server being deployed does."""

    def call(self, method, path, body=None, key=""):
        return 503, {"detail": "Service unavailable"}


def test_a_server_error_keeps_the_interval_and_a_damaged_state_file_is_set_aside(tmp_path):
    out = io.StringIO()
    tracker = cli.Tracker(DownApi("http://127.0.0.1:9", "t"), tmp_path, out)
    with tracker.locked():
        tracker.state.queue.append(
            cli.Interval(7, "2026-11-03T09:00:00Z", "2026-11-03T10:00:00Z", "", "k1")
        )
        tracker.state.save(tracker.path)
        tracker.sync()
    assert "answered 503" in out.getvalue()
    assert len(cli.State.load(tmp_path / "state.json").queue) == 1
    (tmp_path / "state.json").write_text("{not json")
    with tracker.locked():
        assert tracker.state.queue == []
    assert "damaged" in out.getvalue()
    assert list(tmp_path.glob("state.json.damaged-*"))
