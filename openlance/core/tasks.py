from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task
from huey.exceptions import TaskLockedException

from openlance.core import clock, services


def _drain_unless_running() -> int:
    """One drain at a time keeps events in order. When one is already running, this one
    has nothing to add (the next periodic drain picks up any stragglers), so it steps
    aside quietly instead of failing a task in the log on every burst of commits."""
    try:
        with HUEY.lock_task("outbox-drain"):
            return services.outbox_drain(now=clock.now())
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
