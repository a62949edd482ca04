from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from openlance.billing.connects import connects_plans_run_due
from openlance.billing.payouts import (
    earnings_release_run_due,
    payout_status_sync_due,
    scheduled_withdrawals_run_due,
)
from openlance.billing.services import card_charges_reconcile_run_due
from openlance.core import clock


@db_periodic_task(crontab(minute="5"))
@lock_task("connects-plans")
def connects_plans_periodic() -> dict[str, int]:
    return connects_plans_run_due(now=clock.now())


@db_periodic_task(crontab(minute="15"))
@lock_task("earnings-release")
def earnings_release_periodic() -> int:
    return earnings_release_run_due(now=clock.now())


# Hourly although a schedule day is a date: a missed hour is caught by the next one, and
# the per-user-and-date key makes the repeats harmless. It runs after the release above.
@db_periodic_task(crontab(minute="25"))
@lock_task("scheduled-withdrawals")
def scheduled_withdrawals_periodic() -> int:
    return scheduled_withdrawals_run_due(now=clock.now())


@db_periodic_task(crontab(minute="*/10"))
@lock_task("payout-status-sync")
def payout_status_sync_periodic() -> dict[str, int]:
    return payout_status_sync_due(now=clock.now())


# A card charge whose request died is replayed and booked once its charge claim has lapsed
# (5 minutes): within a quarter of an hour of the crash.
@db_periodic_task(crontab(minute="*/10"))
@lock_task("card-charges-reconcile")
def card_charges_reconcile_periodic() -> dict[str, int]:
    return card_charges_reconcile_run_due(now=clock.now())
