"""What the management commands that run a time-driven rule by hand (SPEC §17) share."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from openlance.core import clock


class RunDueCommand(BaseCommand):
    """Runs `run_due(now)` as of `--now` (an ISO 8601 time with its UTC offset; the clock's
    now without it), with the clock frozen there, and prints what it returns. A bad `--now`
    is a CommandError and runs nothing."""

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
            self.stdout.write(self.run_due(moment))

    def run_due(self, now: datetime) -> str:
        """Run the rules as of `now`; returns the line to print."""
        raise NotImplementedError
