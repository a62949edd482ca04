from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from openlance.core import clock
from openlance.reviews import services


@db_periodic_task(crontab(minute="*/10"))
@lock_task("feedback-reveal")
def feedback_reveal_periodic() -> int:
    return services.feedback_reveal_run_due(now=clock.now())
