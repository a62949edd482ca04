from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from openlance.core import clock, services


@db_task()
@lock_task("outbox-drain")
def outbox_drain_task() -> int:
    return services.outbox_drain(now=clock.now())


@db_periodic_task(crontab(minute="*"))
@lock_task("outbox-drain")
def outbox_drain_periodic() -> int:
    return services.outbox_drain(now=clock.now())


@db_periodic_task(crontab(minute="7"))
def idempotency_purge_periodic() -> int:
    return services.idempotency_purge_due(now=clock.now())
