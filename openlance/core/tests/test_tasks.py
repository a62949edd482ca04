import pytest
from django.db import transaction

from openlance.core.models import OutboxEvent
from openlance.core.services import event_emit
from openlance.core.tasks import (
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


def test_idempotency_purge_task_runs():
    assert idempotency_purge_periodic.call_local() == 0


@pytest.mark.django_db(transaction=True)
def test_commit_hands_the_event_to_the_worker():
    with transaction.atomic():
        event = event_emit(kind="test.commit", payload={})
    event.refresh_from_db()
    assert event.processed_at is not None


@pytest.mark.django_db(transaction=True)
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
