from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from openlance.contracts.hourly import services as hourly
from openlance.contracts.milestones.release import milestone_auto_approve_run_due
from openlance.contracts.offers.services import offer_expiry_run_due
from openlance.contracts.payments.refunds import refund_requests_lapse_run_due
from openlance.core import clock


@db_periodic_task(crontab(minute="*/15"))
@lock_task("offer-expiry")
def offer_expiry_periodic() -> int:
    return offer_expiry_run_due(now=clock.now())


@db_periodic_task(crontab(minute="*/10"))
@lock_task("milestone-auto-approval")
def milestone_auto_approve_periodic() -> dict[str, int]:
    return milestone_auto_approve_run_due(now=clock.now())


# Hourly billing (SPEC §7.2): each rule is idempotent and catches up when late, so a run
# every 15 minutes invoices within a quarter of an hour of Monday 12:00 UTC, closes reviews
# just after Friday 23:59, sends the Sunday reminders, and charges unpaid invoices again.
@db_periodic_task(crontab(minute="*/15"))
@lock_task("hourly-billing")
def hourly_billing_periodic() -> dict[str, object]:
    now = clock.now()
    return {
        "reminders": hourly.timesheet_reminders_run_due(now=now),
        "invoices": hourly.hourly_invoice_run_due(now=now),
        "reviews": hourly.hourly_review_close_run_due(now=now),
    }


@db_periodic_task(crontab(minute="*/15"))
@lock_task("refund-requests")
def refund_requests_lapse_periodic() -> int:
    return refund_requests_lapse_run_due(now=clock.now())
