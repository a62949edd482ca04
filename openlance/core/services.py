"""Writes owned by core: policy versions, outbox events, idempotency housekeeping."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import Q

from openlance.core import clock
from openlance.core.errors import Conflict, InvalidInput
from openlance.core.models import IdempotencyRecord, OutboxEvent, Policy
from openlance.core.policies import parse_params

logger = logging.getLogger(__name__)

IDEMPOTENCY_RETENTION = timedelta(hours=48)
# The worker drains every minute; ten attempts spread over about eight hours ride out an
# outage of a mail server or a bug fixed by a deploy before an event is set aside.
OUTBOX_FIRST_RETRY = timedelta(minutes=1)
OUTBOX_LONGEST_RETRY = timedelta(hours=4)
OUTBOX_MAX_ATTEMPTS = 10
# The events one drain reads and delivers at most.
OUTBOX_DRAIN_LIMIT = 200

EventHandler = Callable[[OutboxEvent], None]
_handlers: dict[str, list[EventHandler]] = {}
_bulk = threading.local()


def policy_add(
    *,
    kind: str,
    label: str,
    effective_from: datetime,
    params: dict[str, Any],
    note: str = "",
    created_by: Any = None,
) -> Policy:
    """Add a policy version. It may not take effect in the past: history is never rewritten."""
    parse_params(kind, params)
    now = clock.now()
    if effective_from < now:
        raise InvalidInput(
            "A new policy version cannot take effect in the past.",
            field_errors={"effective_from": ["Must be now or later."]},
        )
    if not label.strip():
        raise InvalidInput("A label is required.", field_errors={"label": ["Required."]})
    with transaction.atomic():
        if Policy.objects.filter(kind=kind, effective_from=effective_from).exists():
            raise Conflict(f"A {kind} policy already takes effect at {effective_from.isoformat()}.")
        policy = Policy.objects.create(
            kind=kind,
            label=label.strip(),
            effective_from=effective_from,
            params=params,
            note=note,
            created_at=now,
            created_by=created_by,
        )
        event_emit(
            kind="policy.added",
            payload={
                "policy_id": policy.pk,
                "kind": kind,
                "effective_from": effective_from.isoformat(),
            },
        )
    return policy


def event_handler(kind: str) -> Callable[[EventHandler], EventHandler]:
    """Register a handler for an outbox event kind (called from an AppConfig.ready)."""

    def register(handler: EventHandler) -> EventHandler:
        registered = _handlers.setdefault(kind, [])
        if handler in registered:
            return handler
        # An event records the handlers that succeeded by name, so the names must differ.
        if any(_handler_name(other) == _handler_name(handler) for other in registered):
            raise ValueError(f"{kind} already has a handler named {_handler_name(handler)}.")
        registered.append(handler)
        return handler

    return register


def event_emit(*, kind: str, payload: dict[str, Any]) -> OutboxEvent:
    """Record an event in the caller's transaction; it is delivered only if that commits."""
    if not connection.in_atomic_block:
        raise RuntimeError("event_emit must run inside the transaction of the change it records")
    event = OutboxEvent.objects.create(kind=kind, payload=payload, created_at=clock.now())
    if getattr(_bulk, "active", False):
        return event
    # One drain per transaction delivers all of its events; a bulk write that records
    # hundreds of events must not queue hundreds of tasks. Django drops callbacks of a
    # rolled-back savepoint from this list, so a later event still registers its own.
    if not any(callback is _schedule_drain for _, callback, *_ in connection.run_on_commit):
        transaction.on_commit(_schedule_drain)
    return event


@contextmanager
def outbox_drain_deferred() -> Iterator[None]:
    """For bulk writers (the demo load): thousands of small transactions queue one drain
    at the end instead of one task each; the events are recorded all the same."""
    _bulk.active = True
    try:
        yield
    finally:
        _bulk.active = False
    transaction.on_commit(_schedule_drain)


def _schedule_drain() -> None:
    from openlance.core.tasks import outbox_drain_task

    outbox_drain_task()


def _handler_name(handler: EventHandler) -> str:
    return f"{handler.__module__}.{handler.__qualname__}"


def _retry_delay(attempts: int) -> timedelta:
    return min(OUTBOX_FIRST_RETRY * 2 ** (attempts - 1), OUTBOX_LONGEST_RETRY)


class OutboxDrained(NamedTuple):
    """What one drain did: how many due events it read (at most its limit) and how many of
    them it delivered (the others failed, or a concurrent drain held them)."""

    fetched: int
    delivered: int


def outbox_drain(*, now: datetime, limit: int = OUTBOX_DRAIN_LIMIT) -> int:
    """Deliver the events that are due, in order; how many were delivered. A failing
    handler leaves its event for a later retry of that handler alone; an event that keeps
    failing is set aside (dead)."""
    return outbox_drain_batch(now=now, limit=limit).delivered


def outbox_drain_batch(*, now: datetime, limit: int = OUTBOX_DRAIN_LIMIT) -> OutboxDrained:
    """`outbox_drain`, saying how many due events it read as well: a batch read full
    means more may be due, however many of it were delivered."""
    delivered = 0
    due = OutboxEvent.objects.filter(processed_at__isnull=True, dead_at__isnull=True).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    pending = list(due.order_by("id").values_list("id", flat=True)[:limit])
    for event_id in pending:
        with transaction.atomic():
            # Still due under the lock: a concurrent drain may have delivered it, or tried it
            # and set its next attempt, since the ids were read.
            event = due.select_for_update(skip_locked=True).filter(pk=event_id).first()
            if event is None:
                continue
            if _deliver(event, now=now):
                delivered += 1
    return OutboxDrained(fetched=len(pending), delivered=delivered)


def _deliver(event: OutboxEvent, *, now: datetime) -> bool:
    errors = []
    for handler in _handlers.get(event.kind, []):
        name = _handler_name(handler)
        if name in event.handlers_done:
            continue
        try:
            with transaction.atomic():
                handler(event)
        except Exception as exc:
            logger.warning("Outbox handler %s failed for event %s", name, event.pk, exc_info=True)
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
        else:
            event.handlers_done.append(name)
    event.attempts += 1
    if not errors:
        event.processed_at = now
        event.next_attempt_at = None
        event.save(update_fields=["processed_at", "attempts", "next_attempt_at", "handlers_done"])
        return True
    event.last_error = "\n".join(errors)[:2000]
    if event.attempts >= OUTBOX_MAX_ATTEMPTS:
        event.dead_at = now
        event.next_attempt_at = None
        logger.error(
            "Outbox event %s (%s) failed %s times and is set aside: %s",
            event.pk,
            event.kind,
            event.attempts,
            event.last_error,
        )
    else:
        event.next_attempt_at = now + _retry_delay(event.attempts)
    event.save(
        update_fields=["attempts", "last_error", "next_attempt_at", "dead_at", "handlers_done"]
    )
    return False


def idempotency_purge_due(*, now: datetime) -> int:
    """Forget idempotency keys past their retention (at least 24 h, as the API promises)."""
    deleted, _ = IdempotencyRecord.objects.filter(
        created_at__lt=now - IDEMPOTENCY_RETENTION
    ).delete()
    return deleted


# How many index entries SQLite's ANALYZE reads of each index: enough for the planner's
# choices (at 100,000 profiles the same plans as a full ANALYZE, in 0.07 s instead of
# 0.26 s), and bounded however large the marketplace grows.
SQLITE_ANALYSIS_LIMIT = 10_000


def database_statistics_refresh() -> bool:
    """Refresh the query planner's statistics of the tables and indexes, on SQLite (True);
    PostgreSQL's autovacuum keeps its own (False).

    Without statistics SQLite guesses that an equality on an index's first column finds a
    handful of rows. So the talent page as it opened sought every public profile in one
    index and sorted them, rather than walk the ranked index and stop after 20: 150 to
    190 ms at 100,000 profiles, against 1.5 ms with statistics. A connection reads the
    statistics when it opens, so each process's connections use them within their
    `CONN_MAX_AGE`."""
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
        cursor.execute("ANALYZE")
    return True
