"""Writes owned by core: policy versions, outbox events, idempotency housekeeping."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction

from openlance.core import clock
from openlance.core.errors import Conflict, InvalidInput
from openlance.core.models import IdempotencyRecord, OutboxEvent, Policy
from openlance.core.policies import parse_params

logger = logging.getLogger(__name__)

IDEMPOTENCY_RETENTION = timedelta(hours=48)

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
        _handlers.setdefault(kind, [])
        if handler not in _handlers[kind]:
            _handlers[kind].append(handler)
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


def outbox_drain(*, now: datetime, limit: int = 200) -> int:
    """Deliver pending events in order; a failing handler leaves its event for a retry."""
    delivered = 0
    pending = list(
        OutboxEvent.objects.filter(processed_at__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    for event_id in pending:
        with transaction.atomic():
            event = (
                OutboxEvent.objects.select_for_update(skip_locked=True)
                .filter(pk=event_id, processed_at__isnull=True)
                .first()
            )
            if event is None:
                continue
            try:
                with transaction.atomic():
                    for handler in _handlers.get(event.kind, []):
                        handler(event)
            except Exception as exc:
                logger.exception("Outbox handler failed for event %s", event.pk)
                event.attempts += 1
                event.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                event.save(update_fields=["attempts", "last_error"])
                continue
            event.processed_at = now
            event.attempts += 1
            event.save(update_fields=["processed_at", "attempts"])
            delivered += 1
    return delivered


def idempotency_purge_due(*, now: datetime) -> int:
    """Forget idempotency keys past their retention (at least 24 h, as the API promises)."""
    deleted, _ = IdempotencyRecord.objects.filter(
        created_at__lt=now - IDEMPOTENCY_RETENTION
    ).delete()
    return deleted
