from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from openlance.core import clock
from openlance.disputes.services import disputes_run_due


@db_periodic_task(crontab(minute="*/15"))
@lock_task("disputes")
def disputes_periodic() -> dict[str, int]:
    """SPEC §9's deadlines within a quarter of an hour: an unanswered dispute is decided for
    the side that opened it; a mediation past 30 days goes to arbitration."""
    return disputes_run_due(now=clock.now())
