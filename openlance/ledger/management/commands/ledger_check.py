from typing import Any

from django.core.management.base import BaseCommand, CommandError

from openlance.ledger.checks import ledger_violations
from openlance.ledger.models import Entry, LedgerAccount, Transfer


class Command(BaseCommand):
    help = "Verify every ledger invariant (SPEC §8.1); exits non-zero if any is broken."

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
