from datetime import datetime

from openlance.billing.payouts import (
    earnings_release_run_due,
    payout_status_sync_due,
    scheduled_withdrawals_run_due,
)
from openlance.core.commands import RunDueCommand


class Command(RunDueCommand):
    help = (
        "Run the payout rules of SPEC §17 by hand, in the scheduler's order: pending earnings "
        "past their security period become available, today's scheduled withdrawals are made, "
        "open payouts are synced with the gateway. Safe to repeat."
    )

    def run_due(self, now: datetime) -> str:
        released = earnings_release_run_due(now=now)
        scheduled = scheduled_withdrawals_run_due(now=now)
        synced = payout_status_sync_due(now=now)
        return (
            f"{released} earning(s) available, {scheduled} scheduled withdrawal(s), "
            f"{synced['checked']} payout(s) checked ({synced['paid']} paid, "
            f"{synced['returned']} returned, {synced['failed']} failed)."
        )
