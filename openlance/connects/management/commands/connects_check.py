from typing import Any

from django.core.management.base import BaseCommand, CommandError

from openlance.connects.checks import connects_violations
from openlance.connects.models import ConnectsAccount, ConnectsEntry, ConnectsMove


class Command(BaseCommand):
    help = "Verify every Connects ledger invariant (SPEC §5); exits non-zero if any is broken."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = connects_violations()
        if problems:
            for problem in problems:
                self.stderr.write(f"BROKEN {problem}")
            raise CommandError(f"{len(problems)} Connects invariant violation(s).")
        self.stdout.write(
            self.style.SUCCESS(
                f"Connects sound: {ConnectsAccount.objects.count()} accounts, "
                f"{ConnectsMove.objects.count()} moves, {ConnectsEntry.objects.count()} entries."
            )
        )
