from typing import Any

from django.core.management.base import BaseCommand, CommandError

from openlance.billing.checks import payment_violations
from openlance.billing.models import Payment, Relationship


class Command(BaseCommand):
    help = (
        "Verify that every freelancer-client relationship and every payment record equals "
        "what the ledger booked (SPEC §8.2); exits non-zero if any differs."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        problems = payment_violations()
        if problems:
            for problem in problems:
                self.stderr.write(f"BROKEN {problem}")
            raise CommandError(f"{len(problems)} payment invariant violation(s).")
        self.stdout.write(
            self.style.SUCCESS(
                f"Payments sound: {Relationship.objects.count()} relationships, "
                f"{Payment.objects.count()} payments."
            )
        )
