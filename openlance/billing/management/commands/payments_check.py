from typing import Any

from django.core.management.base import BaseCommand, CommandError

from openlance.billing.checks import payment_violations
from openlance.billing.models import CardCharge, Payment, Relationship
from openlance.billing.services import card_charges_stale
from openlance.core import clock


class Command(BaseCommand):
    help = (
        "Verify that every freelancer-client relationship and every payment record equals "
        "what the ledger booked (SPEC §8.2), and that no card charge has been left sent to "
        "the gateway without being booked for more than a day; exits non-zero if any is "
        "wrong."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        problems = payment_violations()
        # Money perhaps taken and booked nowhere: the reconcile rule could not settle it.
        problems += [
            f"card charge {charge.key} ({charge.amount_cents} {charge.currency} for "
            f"{charge.subject}, user {charge.user_id}) sent to the gateway at "
            f"{charge.created_at:%Y-%m-%d %H:%M} UTC and never booked nor declined: settle it "
            "with manage.py card_charges_reconcile --book or --not-charged"
            for charge in card_charges_stale(now=clock.now())
        ]
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
