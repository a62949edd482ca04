import pytest
from django.db import transaction

from openlance.core import clock
from openlance.core.models import OutboxEvent
from openlance.core.services import _handlers, event_emit, event_handler, outbox_drain

pytestmark = pytest.mark.django_db


@pytest.fixture
def handlers():
    saved = {kind: list(funcs) for kind, funcs in _handlers.items()}
    yield
    _handlers.clear()
    _handlers.update(saved)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_event_needs_the_transaction_of_its_change():
    with pytest.raises(RuntimeError):
        event_emit(kind="x", payload={})


def test_event_rolled_back_with_its_change():
    def change_that_fails():
        with transaction.atomic():
            event_emit(kind="x", payload={})
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        change_that_fails()
    assert not OutboxEvent.objects.exists()


def test_drain_delivers_in_order_once(handlers):
    seen = []
    event_handler("test.thing")(lambda event: seen.append(event.payload["n"]))
    with transaction.atomic():
        for n in range(3):
            event_emit(kind="test.thing", payload={"n": n})
    assert outbox_drain(now=clock.now()) == 3
    assert outbox_drain(now=clock.now()) == 0
    assert seen == [0, 1, 2]
    assert not OutboxEvent.objects.filter(processed_at__isnull=True).exists()


def test_failing_handler_keeps_the_event_for_retry(handlers):
    calls = []

    def flaky(event):
        calls.append(event.pk)
        if len(calls) == 1:
            raise ValueError("boom")

    event_handler("test.flaky")(flaky)
    with transaction.atomic():
        event = event_emit(kind="test.flaky", payload={})
    assert outbox_drain(now=clock.now()) == 0
    event.refresh_from_db()
    assert event.processed_at is None
    assert event.attempts == 1
    assert "boom" in event.last_error
    assert outbox_drain(now=clock.now()) == 1
    event.refresh_from_db()
    assert event.processed_at is not None
