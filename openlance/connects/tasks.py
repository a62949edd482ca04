from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from openlance.connects import services
from openlance.core import clock


@db_periodic_task(crontab(minute="35"))
@lock_task("connects-expiry")
def connects_expiry_periodic() -> int:
    return services.connects_expiry_run_due(now=clock.now())
