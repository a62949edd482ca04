from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from openlance.billing.connects import connects_plans_run_due
from openlance.core import clock


@db_periodic_task(crontab(minute="5"))
@lock_task("connects-plans")
def connects_plans_periodic() -> dict[str, int]:
    return connects_plans_run_due(now=clock.now())
