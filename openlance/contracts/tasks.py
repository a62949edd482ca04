from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from openlance.contracts.milestones.release import milestone_auto_approve_run_due
from openlance.contracts.offers.services import offer_expiry_run_due
from openlance.core import clock


@db_periodic_task(crontab(minute="*/15"))
@lock_task("offer-expiry")
def offer_expiry_periodic() -> int:
    return offer_expiry_run_due(now=clock.now())


@db_periodic_task(crontab(minute="*/10"))
@lock_task("milestone-auto-approval")
def milestone_auto_approve_periodic() -> dict[str, int]:
    return milestone_auto_approve_run_due(now=clock.now())
