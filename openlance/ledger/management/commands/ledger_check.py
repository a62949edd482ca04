from typing import Any

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from openlance.ledger.checks import ledger_violations
from openlance.ledger.models import Entry, LedgerAccount, Transfer


class Command(BaseCommand):
    help = (
        "Verify every ledger invariant (SPEC §8.1), the Connects ledger's (SPEC §5) and the "
        "relationships' (SPEC §8.2); "
        "exits non-zero if any is broken."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        problems = ledger_violations()
        if problems:
            for problem in problems:
                self.stderr.write(f"BROKEN {problem}")
            raise CommandError(f"{len(problems)} ledger invariant violation(s).")
        self.stdout.write(
            self.style.SUCCESS(
                f"Ledger sound: {LedgerAccount.objects.count()} accounts, "
                f"{Transfer.objects.count()} transfers, {Entry.objects.count()} entries."
            )
        )
        # Connects and billing's relationships sit in higher layers than the ledger, so
        # their checks are run by command name rather than imported.
        if apps.is_installed("openlance.connects"):
            call_command("connects_check", stdout=self.stdout, stderr=self.stderr)
        if apps.is_installed("openlance.billing"):
            call_command("payments_check", stdout=self.stdout, stderr=self.stderr)
