from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from openlance.core import clock
from openlance.jobs import services


@db_periodic_task(crontab(minute="*/15"))
@lock_task("job-expiry")
def job_expiry_periodic() -> dict[str, int]:
    return services.job_expiry_run_due(now=clock.now())
