"""Crash safety (issue 11): the process doing a payout run, or a card funding of a milestone,
is SIGKILLed at the gateway call, then restarted or the request retried, and every payout and
every card charge still happens exactly once, ends in its final state, and the ledger is
sound.

The real code runs in a child process (`crash_child`) against this test's PostgreSQL
database; the parent looks at the database after the kill. The child's sandbox adapter
journals each call in a file outside the database (what a real provider would remember,
whatever our transactions did) and stops dead at a named point, where the parent kills it:

- `payout.before` / `charge.before`: the gateway has not been asked yet;
- `payout.after` / `charge.after`: the gateway has sent the money, nothing of its answer is
  booked;
- `fund.before_escrow`: the card charge is booked into the client's balance, the escrow is
  not funded, and the transaction doing both is still open: the kill undoes the booking.

"Sent once" is proven three ways: one `SandboxOperation` per business event, one reference
in every answer the journal holds for its key (a repeat reused the key and got the first
answer), and one booking per reference in the ledger.

A killed Huey worker leaves its task locks behind; the consumer clears them when it starts
(`flush_locks`), so the payout run runs again after a restart. A card charge is recorded
(`CardCharge`) before the gateway is called, so a charge made right before a crash is
settled and used by the next payment for the same milestone, whatever card that payment
brings: the client pays once. PostgreSQL only, like the other multi-process tests.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as day_time
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils.module_loading import import_string

from openlance.accounts.models import User
from openlance.accounts.services import token_create
from openlance.accounts.tests.factories import freelancer_user
from openlance.billing.checks import payment_violations
from openlance.billing.gateway import sandbox_payout_set_status
from openlance.billing.models import (
    CardCharge,
    CardChargeState,
    ChargeClaim,
    Payout,
    PayoutSchedule,
    PayoutStatus,
    SandboxOperation,
)
from openlance.billing.payouts import payout_settings_update, payout_status_sync_due
from openlance.billing.tests.payout_helpers import available, balance, usable_method
from openlance.core import clock
from openlance.core.models import IdempotencyRecord
from openlance.core.money import Money
from openlance.ledger.checks import ledger_violations
from openlance.ledger.models import AccountKind, Transfer

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="a crash needs a database other processes share: PostgreSQL (.ci/run runs it)",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

STOP_WAIT = 25  # seconds for a child to start Django and reach its crash point
RUN_WAIT = 25  # seconds for a child that is not to be killed to finish
HUEY_DONE = {"complete", "error", "locked", "canceled", "revoked", "expired", "timeout"}
WEDNESDAY = 2


# --- the child process ----------------------------------------------------------------------


def _database_url() -> str:
    db = connection.settings_dict
    user = quote(db["USER"] or "")
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{user}{password}@{db['HOST']}{port}/{db['NAME']}"


class Harness:
    """Starts `crash_child` processes for one test, kills them at their point, reads the
    journal they share."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.journal_path = tmp / "journal.jsonl"
        self.names: dict[int, str] = {}

    def _env(self, crash_at: str) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE", "PYTEST_ADDOPTS"}
        }
        env.update(
            DJANGO_SETTINGS_MODULE="openlance.settings",
            DATABASE_URL=_database_url(),
            OPENLANCE_VAR_DIR=str(self.tmp / "var"),
            SECRET_KEY=settings.SECRET_KEY,
            DEBUG="false",
            ALLOWED_HOSTS="testserver,127.0.0.1,localhost",
            HUEY_IMMEDIATE="false",
            PAYMENT_GATEWAY="sandbox",
            CRASH_JOURNAL=str(self.journal_path),
            CRASH_AT=crash_at,
            PYTHONUNBUFFERED="1",
        )
        return env

    def _start(self, mode: str, spec: dict[str, Any], crash_at: str) -> subprocess.Popen[bytes]:
        name = f"child-{len(self.names) + 1}-{mode}"
        child = subprocess.Popen(
            [sys.executable, "-m", "openlance.billing.tests.crash_child", mode, json.dumps(spec)],
            cwd=settings.BASE_DIR,
            env=self._env(crash_at),
            stdin=subprocess.DEVNULL,
            stdout=(self.tmp / f"{name}.out").open("wb"),
            stderr=(self.tmp / f"{name}.err").open("wb"),
        )
        self.names[child.pid] = name
        return child

    def _output(self, child: subprocess.Popen[bytes], stream: str) -> str:
        path = self.tmp / f"{self.names[child.pid]}.{stream}"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def _wait(
        self,
        child: subprocess.Popen[bytes],
        done: Callable[[list[dict[str, Any]]], bool],
        what: str,
        timeout: float,
    ) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if done([e for e in self.journal() if e["pid"] == child.pid]):
                return
            if child.poll() is not None:
                pytest.fail(
                    f"the child exited ({child.returncode}) before {what}:\n"
                    + self._output(child, "err")
                )
            time.sleep(0.05)
        child.kill()
        child.wait()
        pytest.fail(
            f"the child did not reach {what} in {timeout} s:\n" + self._output(child, "err")
        )

    def crash(self, mode: str, spec: dict[str, Any], point: str) -> None:
        """Run the child until it stops at `point`, then SIGKILL it there."""
        child = self._start(mode, spec, crash_at=point)
        self._wait(
            child,
            lambda lines: any(e["event"] == "stopped" and e["point"] == point for e in lines),
            f"its crash point {point}",
            STOP_WAIT,
        )
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=10) == -signal.SIGKILL

    def run(self, mode: str, spec: dict[str, Any]) -> list[dict[str, Any]]:
        """Run the child to its end; its JSON output lines."""
        child = self._start(mode, spec, crash_at="")
        try:
            code = child.wait(timeout=RUN_WAIT)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
            pytest.fail(f"the child did not finish in {RUN_WAIT} s:\n" + self._output(child, "err"))
        if code != 0:
            pytest.fail(f"the child failed ({code}):\n" + self._output(child, "err"))
        return [json.loads(line) for line in self._output(child, "out").splitlines() if line]

    def serve(self, spec: dict[str, Any]) -> list[dict[str, Any]]:
        """Run a Huey worker until every task it was given has ended, then stop it the way
        the Procfile's graceful signal does; Huey's signals about those tasks."""
        wanted = set(spec["enqueue"])

        def ended(lines: list[dict[str, Any]]) -> bool:
            finished = {
                e["task"] for e in lines if e["event"] == "huey" and e["signal"] in HUEY_DONE
            }
            return all(any(task.endswith(name) for task in finished) for name in wanted)

        child = self._start("worker", spec, crash_at="")
        try:
            self._wait(child, ended, f"the end of {sorted(wanted)}", RUN_WAIT)
        finally:
            child.terminate()
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        return [e for e in self.journal() if e["pid"] == child.pid and e["event"] == "huey"]

    def journal(self) -> list[dict[str, Any]]:
        if not self.journal_path.exists():
            return []
        lines = self.journal_path.read_text().splitlines()
        return [json.loads(line) for line in lines if line.endswith("}")]

    def answers(self, call: str, key: str) -> list[str]:
        """The references the gateway answered for `key`, one per call that got an answer."""
        return [
            e["reference"]
            for e in self.journal()
            if e["event"] == "gateway" and e["call"] == call and e["stage"] == "after"
            if e["key"] == key
        ]

    def keys(self, call: str) -> set[str]:
        return {e["key"] for e in self.journal() if e["event"] == "gateway" and e["call"] == call}


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    return Harness(tmp_path)


def assert_sound() -> None:
    assert ledger_violations() == []
    assert payment_violations() == []
    call_command("ledger_check", stdout=StringIO(), stderr=StringIO())


# --- payouts ----------------------------------------------------------------------------------


def due_freelancers() -> list[User]:
    """Two freelancers with money available, a usable method and a weekly schedule: the next
    Wednesday's payout run pays out both, the first one first."""
    users = []
    for n, cents in enumerate((40_000, 25_000)):
        user = freelancer_user()
        available(user, cents)
        usable_method(user, destination=f"ba_crash_{n}")
        payout_settings_update(user=user, schedule=PayoutSchedule.WEEKLY, threshold=Money(10_000))
        users.append(user)
    return users


def next_payout_day() -> datetime:
    day = clock.now().date() + timedelta(days=1)
    while day.weekday() != WEDNESDAY:
        day += timedelta(days=1)
    return datetime.combine(day, day_time(12), tzinfo=UTC)


def assert_sent_once(harness: Harness, payout: Payout) -> None:
    """The gateway holds one payout for this payout's key, every answer for the key was that
    payout, and it is the one the payout records."""
    sent = SandboxOperation.objects.filter(
        kind=SandboxOperation.Kind.PAYOUT, idempotency_key=payout.key
    )
    assert [(op.reference, op.amount_cents) for op in sent] == [
        (payout.gateway_reference, payout.net_cents)
    ]
    assert set(harness.answers("payout", payout.key)) == {payout.gateway_reference}


def settle_and_check(payouts: list[Payout], at: datetime) -> None:
    """The bank pays every payout out; the next sync closes them; nothing is left anywhere."""
    with clock.frozen_at(at):
        for payout in payouts:
            sandbox_payout_set_status(reference=payout.gateway_reference, returned=False)
        payout_status_sync_due(now=at)
    for payout in payouts:
        payout.refresh_from_db()
        assert payout.status == PayoutStatus.PAID
        assert balance(payout.user, AccountKind.FREELANCER_AVAILABLE) == 0
    assert balance(None, AccountKind.PAYOUTS_IN_FLIGHT) == 0
    assert_sound()


@pytest.mark.parametrize("point", ["payout.before", "payout.after"])
def test_a_payout_run_killed_at_the_gateway_sends_every_payout_once_after_a_restart(
    harness: Harness, point: str
) -> None:
    first, second = due_freelancers()
    day = next_payout_day()
    harness.crash("payout_run", {"at": day.isoformat(), "jobs": ["scheduled_withdrawals"]}, point)

    # Killed inside the first freelancer's payout: it is booked and pending (its money in
    # payouts in flight), the second freelancer's is not started, the ledger is whole.
    killed = Payout.objects.get(user=first)
    assert killed.status == PayoutStatus.PENDING
    assert not killed.gateway_reference
    assert not Payout.objects.filter(user=second).exists()
    sent = SandboxOperation.objects.filter(kind=SandboxOperation.Kind.PAYOUT)
    assert sent.count() == (0 if point == "payout.before" else 1)
    assert balance(None, AccountKind.PAYOUTS_IN_FLIGHT) == killed.net_cents
    assert_sound()

    # Restarted: the worker's jobs run again an hour later, the payout run and the sync.
    later = day + timedelta(hours=1)
    [done] = harness.run(
        "payout_run",
        {"at": later.isoformat(), "jobs": ["scheduled_withdrawals", "payout_status_sync"]},
    )
    assert done["scheduled_withdrawals"] == 1  # the second freelancer's; the first is not redone

    payouts = list(Payout.objects.order_by("id"))
    assert [(p.user_id, p.status) for p in payouts] == [
        (first.pk, PayoutStatus.IN_TRANSIT),
        (second.pk, PayoutStatus.IN_TRANSIT),
    ]
    for payout in payouts:
        assert_sent_once(harness, payout)
    # After the gateway had sent it, the resend used the same key and got the first answer.
    resent = harness.answers("payout", killed.key)
    assert len(resent) == (1 if point == "payout.before" else 2)
    assert harness.keys("payout") == {p.key for p in payouts}
    settle_and_check(payouts, later)


# --- the Huey worker itself -------------------------------------------------------------------


def test_a_worker_killed_in_the_payout_run_sends_that_payout_once_after_a_restart(
    harness: Harness,
) -> None:
    """The deployed worker (`run_huey` with the Procfile's options) is killed while its
    payout run waits for the gateway's answer; once restarted, the status sync finishes that
    payout with the gateway's first answer."""
    first, _ = due_freelancers()
    day = next_payout_day()
    harness.crash(
        "worker",
        {"at": day.isoformat(), "enqueue": ["scheduled_withdrawals_periodic"]},
        "payout.after",
    )
    killed = Payout.objects.get(user=first)
    assert killed.status == PayoutStatus.PENDING

    later = day + timedelta(hours=1)
    harness.serve({"at": later.isoformat(), "enqueue": ["payout_status_sync_periodic"]})
    killed.refresh_from_db()
    assert killed.status == PayoutStatus.IN_TRANSIT
    assert_sent_once(harness, killed)
    assert len(harness.answers("payout", killed.key)) == 2
    settle_and_check([killed], later)


def test_a_worker_killed_in_the_payout_run_runs_the_payout_run_again_after_a_restart(
    harness: Harness,
) -> None:
    first, second = due_freelancers()
    day = next_payout_day()
    harness.crash(
        "worker",
        {"at": day.isoformat(), "enqueue": ["scheduled_withdrawals_periodic"]},
        "payout.before",
    )
    assert Payout.objects.get(user=first).status == PayoutStatus.PENDING
    assert not Payout.objects.filter(user=second).exists()

    later = day + timedelta(hours=1)
    events = harness.serve(
        {
            "at": later.isoformat(),
            "enqueue": ["scheduled_withdrawals_periodic", "payout_status_sync_periodic"],
        }
    )
    run = [
        e["signal"]
        for e in events
        if e["task"].endswith("scheduled_withdrawals_periodic") and e["signal"] in HUEY_DONE
    ]
    # The first freelancer's payout is finished by the sync, which was not running when the
    # worker died...
    assert Payout.objects.get(user=first).status == PayoutStatus.IN_TRANSIT
    # ...but the second freelancer is paid only if the payout run itself runs again.
    assert run == ["complete"], f"the payout run after the restart: {run}"
    payouts = list(Payout.objects.order_by("id"))
    assert [(p.user_id, p.status) for p in payouts] == [
        (first.pk, PayoutStatus.IN_TRANSIT),
        (second.pk, PayoutStatus.IN_TRANSIT),
    ]
    for payout in payouts:
        assert_sent_once(harness, payout)
    settle_and_check(payouts, later)


# --- funding a milestone by card ----------------------------------------------------------

# Funding a milestone is `contracts`' business, a layer above `billing`. These tests stay
# with the rest of the crash-safety gate, so they reach contracts by name rather than by
# import and the layer contract (import-linter) still holds for what billing imports.
contract_fixed = import_string("openlance.contracts.tests.factories.contract_fixed")
milestone_funding_quote = import_string(
    "openlance.contracts.milestones.funding.milestone_funding_quote"
)
FUNDED, NOT_FUNDED = "funded", "not_funded"


def card_funding() -> tuple[Any, str, int]:
    """An active contract's one unfunded milestone, its client's API token, and what the
    funding costs the client (amount, marketplace and initiation fees)."""
    contract = contract_fixed((50_000,))
    milestone = contract.milestones.get()
    _, token = token_create(user=contract.client, name="crash tests")
    return milestone, token, milestone_funding_quote(milestone=milestone).total_cents


def fund_spec(milestone: Any, token: str, *attempts: tuple[datetime, str, str]) -> Any:
    return {
        "milestone_id": milestone.pk,
        "token": token,
        "attempts": [
            {"at": at.isoformat(), "key": key, "payment_method": card} for at, key, card in attempts
        ],
    }


def charges() -> list[SandboxOperation]:
    return list(
        SandboxOperation.objects.filter(
            kind=SandboxOperation.Kind.CHARGE, status=SandboxOperation.Status.SUCCEEDED
        ).order_by("id")
    )


def assert_killed_mid_funding(milestone: Any, point: str, total: int) -> None:
    """What the kill left: the request unfinished, the milestone unfunded, the claim held,
    the charge made or not and booked or not as far as the process got, the ledger whole."""
    record = IdempotencyRecord.objects.get(key="fund-1")
    assert record.status_code is None
    milestone.refresh_from_db()
    assert milestone.state == NOT_FUNDED
    assert ChargeClaim.objects.filter(subject=f"milestone:{milestone.pk}:fund").exists()
    made = {"charge.before": 0, "charge.after": 1, "fund.before_escrow": 1}[point]
    assert [op.amount_cents for op in charges()] == [total] * made
    # The booking and the escrow's funding are one transaction: the kill undid both.
    assert not Transfer.objects.filter(kind="deposit").exists()
    assert balance(milestone.contract.client, AccountKind.CLIENT_FUNDING) == 0
    assert not Transfer.objects.filter(kind="milestone_fund").exists()
    assert_sound()


def assert_funded_once(harness: Harness, milestone: Any, total: int) -> None:
    """Funded, from one charge the gateway made once and the ledger booked once, with nothing
    left over in the client's balance and no claim left behind."""
    milestone.refresh_from_db()
    assert milestone.state == FUNDED
    assert milestone.in_escrow_cents == milestone.amount_cents
    [charge] = charges()
    assert charge.amount_cents == total
    assert harness.keys("charge") == {charge.idempotency_key}
    assert set(harness.answers("charge", charge.idempotency_key)) == {charge.reference}
    deposits = Transfer.objects.filter(kind="deposit")
    assert [t.idempotency_key for t in deposits] == [f"charge:{charge.reference}"]
    assert Transfer.objects.filter(kind="milestone_fund").count() == 1
    assert balance(milestone.contract.client, AccountKind.CLIENT_FUNDING) == 0
    assert not ChargeClaim.objects.exists()
    assert_sound()


@pytest.mark.parametrize("point", ["charge.before", "charge.after", "fund.before_escrow"])
def test_a_card_funding_killed_mid_request_and_retried_with_its_key_charges_once(
    harness: Harness, point: str
) -> None:
    """The client's API request dies at `point`; the client retries with the same
    Idempotency-Key: at once (still in progress: 409, nothing done), again once the record
    is abandoned (it runs again and funds), and once more (the stored answer)."""
    milestone, token, total = card_funding()
    start = clock.now()
    harness.crash("fund", fund_spec(milestone, token, (start, "fund-1", "pm_card_visa")), point)
    assert_killed_mid_funding(milestone, point, total)

    answers = harness.run(
        "fund",
        fund_spec(
            milestone,
            token,
            (start + timedelta(minutes=1), "fund-1", "pm_card_visa"),
            (start + timedelta(minutes=6), "fund-1", "pm_card_visa"),
            (start + timedelta(minutes=7), "fund-1", "pm_card_visa"),
        ),
    )
    assert [(a["status"], a["replayed"]) for a in answers] == [
        (409, False),
        (200, False),
        (200, True),
    ]
    assert answers[0]["body"]["code"] == "idempotency_in_progress"
    assert answers[1]["body"]["state"] == answers[2]["body"]["state"] == "funded"
    assert IdempotencyRecord.objects.get(key="fund-1").status_code == 200
    assert_funded_once(harness, milestone, total)
    if point != "charge.before":
        # The retry asked the gateway again with the first attempt's key and got its answer
        # (killed at fund.before_escrow too: the booking was undone, so the charge was unsettled).
        assert len(harness.answers("charge", charges()[0].idempotency_key)) == 2


def test_a_card_funding_killed_after_the_charge_and_retried_with_a_new_key_charges_once(
    harness: Harness,
) -> None:
    """A client that gives up on the dead request and pays again at once, same card, new
    Idempotency-Key: the claim is the card's own, so it is taken over at once, and the charge
    key is the milestone's, so the gateway answers with the first charge."""
    milestone, token, total = card_funding()
    start = clock.now()
    harness.crash(
        "fund", fund_spec(milestone, token, (start, "fund-1", "pm_card_visa")), "charge.after"
    )
    assert_killed_mid_funding(milestone, "charge.after", total)

    [answer] = harness.run(
        "fund",
        fund_spec(milestone, token, (start + timedelta(seconds=5), "fund-2", "pm_card_visa")),
    )
    assert (answer["status"], answer["body"]["state"]) == (200, "funded")
    assert_funded_once(harness, milestone, total)


def test_a_card_funding_killed_after_the_charge_and_paid_with_another_card_charges_once(
    harness: Harness,
) -> None:
    """The client gives up on the dead request and pays with another card: refused while
    the first request's claim holds (409), then, once it lapsed, the first charge (recorded
    before the gateway call) is settled with its own key and funds the milestone; the second
    card is never charged."""
    milestone, token, total = card_funding()
    start = clock.now()
    harness.crash(
        "fund", fund_spec(milestone, token, (start, "fund-1", "pm_card_visa")), "charge.after"
    )
    assert_killed_mid_funding(milestone, "charge.after", total)
    # The charge was recorded before the gateway was called, so it is known though unbooked.
    assert list(CardCharge.objects.values_list("state", flat=True)) == [CardChargeState.SENT]

    answers = harness.run(
        "fund",
        fund_spec(
            milestone,
            token,
            (start + timedelta(minutes=1), "fund-2", "pm_card_mastercard"),
            (start + timedelta(minutes=6), "fund-3", "pm_card_mastercard"),
        ),
    )
    if [a["status"] for a in answers] != [409, 200]:
        pytest.fail(f"unexpected answers to the retries: {answers}")
    milestone.refresh_from_db()
    if milestone.state != FUNDED:
        pytest.fail(f"the retry did not fund the milestone: {milestone.state}")
    assert_sound()

    charged = charges()
    unbooked = [
        op.reference
        for op in charged
        if not Transfer.objects.filter(idempotency_key=f"charge:{op.reference}").exists()
    ]
    assert unbooked == [], f"charged but never booked: {unbooked}"
    assert sum(op.amount_cents for op in charged) == total
    # The one charge is the first card's, made once and asked again once with its own key.
    assert_funded_once(harness, milestone, total)
    assert charged[0].instrument == "pm_card_visa"
    assert len(harness.answers("charge", charged[0].idempotency_key)) == 2
    [recorded] = CardCharge.objects.all()
    assert (recorded.key, recorded.state) == (charged[0].idempotency_key, CardChargeState.BOOKED)
