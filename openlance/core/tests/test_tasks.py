from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from openlance.core.models import OutboxEvent
from openlance.core.services import _handlers, event_emit, event_handler
from openlance.core.tasks import (
    database_statistics_periodic,
    idempotency_purge_periodic,
    outbox_drain_periodic,
    outbox_drain_task,
)

pytestmark = pytest.mark.django_db


def test_worker_tasks_drain_the_outbox():
    with transaction.atomic():
        event_emit(kind="test.task", payload={})
        event_emit(kind="test.task", payload={})
    assert outbox_drain_task().get() == 2
    assert outbox_drain_periodic.call_local() == 0
    assert not OutboxEvent.objects.filter(processed_at__isnull=True).exists()


def test_a_drain_goes_on_in_batches_while_they_come_back_full(monkeypatch):
    monkeypatch.setattr("openlance.core.services.OUTBOX_DRAIN_LIMIT", 3)
    with transaction.atomic():
        for _ in range(7):
            event_emit(kind="test.task", payload={})
    assert outbox_drain_task().get() == 7
    assert not OutboxEvent.objects.filter(processed_at__isnull=True).exists()


def test_a_full_batch_of_failing_events_does_not_stop_the_drain(monkeypatch):
    """Events read and not delivered (their handler failed) still make a full batch: the
    drain goes on past them to the events behind."""
    monkeypatch.setattr("openlance.core.services.OUTBOX_DRAIN_LIMIT", 3)
    saved = {kind: list(funcs) for kind, funcs in _handlers.items()}

    def broken(event: OutboxEvent) -> None:
        raise ValueError("boom")

    try:
        event_handler("test.broken")(broken)
        with transaction.atomic():
            for _ in range(3):
                event_emit(kind="test.broken", payload={})
            good = [event_emit(kind="test.task", payload={}) for _ in range(2)]
        assert outbox_drain_task().get() == 2
    finally:
        _handlers.clear()
        _handlers.update(saved)
    assert set(OutboxEvent.objects.filter(processed_at__isnull=False)) == set(good)
    assert OutboxEvent.objects.filter(kind="test.broken", attempts=1).count() == 3


def test_idempotency_purge_task_runs():
    assert idempotency_purge_periodic.call_local() == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_commit_hands_the_event_to_the_worker():
    with transaction.atomic():
        event = event_emit(kind="test.commit", payload={})
    event.refresh_from_db()
    assert event.processed_at is not None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_rolled_back_change_leaves_nothing_for_the_worker():
    def failing_change():
        with transaction.atomic():
            event_emit(kind="test.rollback", payload={})
            raise RuntimeError

    with pytest.raises(RuntimeError):
        failing_change()
    assert not OutboxEvent.objects.exists()


def test_a_second_drain_steps_aside_while_one_runs():
    from huey.contrib.djhuey import HUEY

    with transaction.atomic():
        event_emit(kind="test.busy", payload={})
    with HUEY.lock_task("outbox-drain"):
        assert outbox_drain_periodic.call_local() == 0
    assert outbox_drain_periodic.call_local() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_one_drain_is_queued_per_transaction(monkeypatch):
    from openlance.core import services

    queued = []
    monkeypatch.setattr(services, "_schedule_drain", lambda: queued.append(1))
    with transaction.atomic():
        for n in range(5):
            event_emit(kind="test.many", payload={"n": n})
    assert queued == [1]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_rolled_back_savepoint_does_not_swallow_the_drain(monkeypatch):
    from openlance.core import services

    queued = []
    monkeypatch.setattr(services, "_schedule_drain", lambda: queued.append(1))

    def failing_part():
        with transaction.atomic():
            event_emit(kind="test.inner", payload={})
            raise RuntimeError

    with transaction.atomic():
        with pytest.raises(RuntimeError):
            failing_part()
        event_emit(kind="test.outer", payload={})
    assert queued == [1]
    assert list(OutboxEvent.objects.values_list("kind", flat=True)) == ["test.outer"]


def test_the_planner_statistics_are_refreshed_on_sqlite_and_left_to_autovacuum_elsewhere():
    refreshed = database_statistics_periodic.call_local()
    said = StringIO()
    call_command("database_statistics", stdout=said)
    if connection.vendor != "sqlite":
        assert refreshed is False
        assert "Nothing to do" in said.getvalue()
        return
    assert refreshed is True
    assert said.getvalue() == "SQLite's planner statistics refreshed (ANALYZE).\n"
    with connection.cursor() as cursor:
        # The policies (seeded by a migration) are never empty: their indexes are measured.
        cursor.execute("SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'core_policy'")
        assert cursor.fetchone()[0] >= 1
