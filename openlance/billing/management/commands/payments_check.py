from typing import Any

from django.core.management.base import BaseCommand, CommandError

from openlance.billing.checks import payment_violations
from openlance.billing.models import CardCharge, Payment, Relationship
from openlance.billing.services import CARD_CHARGE_REPLAY_WINDOW


class Command(BaseCommand):
    help = (
        "Verify that every freelancer-client relationship and every payment record equals "
        "what the ledger booked (SPEC §8.2), and that no card charge has been left sent to "
        f"the gateway without being booked or declined past the replay window "
        f"({CARD_CHARGE_REPLAY_WINDOW}); exits non-zero if any is wrong."
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
                f"{Payment.objects.count()} payments, "
                f"{CardCharge.objects.count()} card charges."
            )
        )
