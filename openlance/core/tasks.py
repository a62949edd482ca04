import time

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task
from huey.exceptions import TaskLockedException

from openlance.core import clock, services

# A drain keeps going in batches (`services.OUTBOX_DRAIN_LIMIT` events each) while they are
# read full, so a burst (the demo's few thousand notices) goes out at once rather than a
# batch a minute; the time cap leaves the worker thread to other tasks now and then.
DRAIN_SECONDS = 30.0


def _drain_unless_running() -> int:
    """One drain at a time keeps events in order (but for the short overlap after a
    consumer starts, see `flush_locks` in settings). When one is already running, this one
    has nothing to add (the next periodic drain picks up any stragglers), so it steps
    aside quietly instead of failing a task in the log on every burst of commits."""
    try:
        with HUEY.lock_task("outbox-drain"):
            started = time.monotonic()
            delivered = 0
            while True:
                # A full batch of events that failed (and wait for their retry) does not mean
                # the outbox is empty: the next batch reads past them.
                limit = services.OUTBOX_DRAIN_LIMIT
                batch = services.outbox_drain_batch(now=clock.now(), limit=limit)
                delivered += batch.delivered
                if batch.fetched < limit or time.monotonic() - started > DRAIN_SECONDS:
                    return delivered
    except TaskLockedException:
        return 0


@db_task()
def outbox_drain_task() -> int:
    return _drain_unless_running()


@db_periodic_task(crontab(minute="*"))
def outbox_drain_periodic() -> int:
    return _drain_unless_running()


@db_periodic_task(crontab(minute="7"))
def idempotency_purge_periodic() -> int:
    return services.idempotency_purge_due(now=clock.now())


@db_periodic_task(crontab(minute="41"))
def database_statistics_periodic() -> bool:
    return services.database_statistics_refresh()
