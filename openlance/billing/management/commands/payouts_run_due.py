from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from openlance.billing.payouts import (
    earnings_release_run_due,
    payout_status_sync_due,
    scheduled_withdrawals_run_due,
)
from openlance.core import clock


class Command(BaseCommand):
    help = (
        "Run the payout rules of SPEC §17 by hand, in the scheduler's order: pending earnings "
        "past their security period become available, today's scheduled withdrawals are made, "
        "open payouts are synced with the gateway. Safe to repeat."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--now", help="Run as of this ISO 8601 UTC time (e.g. 2026-06-24T14:00:00+00:00)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        moment = clock.now()
        if options["now"]:
            try:
                moment = datetime.fromisoformat(options["now"])
            except ValueError:
                raise CommandError("--now must be an ISO 8601 time with a UTC offset.") from None
            if moment.tzinfo is None:
                raise CommandError("--now needs a UTC offset, e.g. +00:00.")
        with clock.frozen_at(moment):
            released = earnings_release_run_due(now=moment)
            scheduled = scheduled_withdrawals_run_due(now=moment)
            synced = payout_status_sync_due(now=moment)
        self.stdout.write(
            f"{released} earning(s) available, {scheduled} scheduled withdrawal(s), "
            f"{synced['checked']} payout(s) checked ({synced['paid']} paid, "
            f"{synced['returned']} returned, {synced['failed']} failed)."
        )
