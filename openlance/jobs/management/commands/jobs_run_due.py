from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from openlance.core import clock
from openlance.jobs.services import job_expiry_run_due


class Command(BaseCommand):
    help = (
        "Run the job post rules of SPEC §17 by hand: open posts without client activity for "
        "25 days get their expiry warning, those without it for 30 days expire. Safe to repeat."
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
            done = job_expiry_run_due(now=moment)
        self.stdout.write(
            f"{done['warned']} post(s) warned of expiry, {done['expired']} post(s) expired."
        )
