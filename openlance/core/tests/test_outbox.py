import logging
from datetime import timedelta

import pytest
from django.db import transaction

from openlance.core import clock
from openlance.core.models import OutboxEvent
from openlance.core.services import (
    OUTBOX_MAX_ATTEMPTS,
    _deliver,
    _handlers,
    event_emit,
    event_handler,
    outbox_drain,
)

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
    assert outbox_drain(now=clock.now() + timedelta(minutes=1)) == 1
    event.refresh_from_db()
    assert event.processed_at is not None


def test_a_failing_event_waits_longer_after_each_attempt(handlers):
    def broken(event):
        raise ValueError("boom")

    event_handler("test.broken")(broken)
    with transaction.atomic():
        event = event_emit(kind="test.broken", payload={})
    start = clock.now()
    outbox_drain(now=start)
    event.refresh_from_db()
    assert event.next_attempt_at == start + timedelta(minutes=1)
    outbox_drain(now=start + timedelta(seconds=30))
    event.refresh_from_db()
    assert event.attempts == 1
    outbox_drain(now=start + timedelta(minutes=1))
    event.refresh_from_db()
    assert event.attempts == 2
    assert event.next_attempt_at == start + timedelta(minutes=3)


def test_events_that_keep_failing_do_not_block_a_newer_one(handlers):
    delivered = []

    def broken(event):
        raise ValueError("boom")

    event_handler("test.broken")(broken)
    event_handler("test.good")(lambda event: delivered.append(event.pk))
    with transaction.atomic():
        for _ in range(3):
            event_emit(kind="test.broken", payload={})
        good = event_emit(kind="test.good", payload={})
    start = clock.now()
    assert outbox_drain(now=start, limit=3) == 0
    assert outbox_drain(now=start + timedelta(seconds=1), limit=3) == 1
    assert delivered == [good.pk]


def test_a_retry_runs_only_the_handlers_that_failed(handlers):
    sent = []
    failures = []

    def send_email(event):
        sent.append(event.pk)

    def flaky(event):
        if not failures:
            failures.append(event.pk)
            raise ValueError("boom")

    event_handler("test.pair")(send_email)
    event_handler("test.pair")(flaky)
    with transaction.atomic():
        event = event_emit(kind="test.pair", payload={})
    start = clock.now()
    assert outbox_drain(now=start) == 0
    assert outbox_drain(now=start + timedelta(hours=1)) == 1
    assert sent == [event.pk]
    event.refresh_from_db()
    assert event.processed_at is not None
    assert len(event.handlers_done) == 2


def test_an_event_is_set_aside_after_the_last_attempt(handlers, caplog):
    def broken(event):
        raise ValueError("boom")

    event_handler("test.broken")(broken)
    with transaction.atomic():
        event = event_emit(kind="test.broken", payload={})
    when = clock.now()
    for _ in range(OUTBOX_MAX_ATTEMPTS):
        outbox_drain(now=when)
        when += timedelta(days=1)
    event.refresh_from_db()
    assert event.attempts == OUTBOX_MAX_ATTEMPTS
    assert event.dead_at is not None
    assert event.processed_at is None
    assert any(r.levelno == logging.ERROR and "set aside" in r.message for r in caplog.records)
    outbox_drain(now=when)
    event.refresh_from_db()
    assert event.attempts == OUTBOX_MAX_ATTEMPTS


def test_handlers_of_one_kind_need_distinct_names(handlers):
    def twin():
        return lambda event: None

    event_handler("test.twins")(twin())
    with pytest.raises(ValueError, match="already has a handler named"):
        event_handler("test.twins")(twin())


def test_a_drain_skips_an_event_a_concurrent_drain_just_tried(handlers):
    failed = []

    def unavailable(event):
        failed.append(event.pk)
        raise RuntimeError("down")

    event_handler("test.unavailable")(unavailable)
    now = clock.now()
    with transaction.atomic():
        event_emit(kind="test.first", payload={})
        event_emit(kind="test.unavailable", payload={})
    later = OutboxEvent.objects.get(kind="test.unavailable")

    def another_drain_delivers_the_later_event(event):
        # Stands for a second worker that tries the later event while this drain is still
        # on the first one (its list of due ids already read).
        _deliver(OutboxEvent.objects.get(pk=later.pk), now=now)

    event_handler("test.first")(another_drain_delivers_the_later_event)
    outbox_drain(now=now)

    later.refresh_from_db()
    assert failed == [later.pk]
    assert later.attempts == 1
    assert later.next_attempt_at > now
