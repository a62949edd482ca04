from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from openlance.billing.gateway import SandboxGateway, payment_gateway, sandbox_payout_set_status
from openlance.billing.models import Payout, PayoutStatus
from openlance.billing.payouts import payout_sync
from openlance.core.errors import NotFound


class Command(BaseCommand):
    help = (
        "Sandbox gateway only: finish an in-transit payout as paid, or as returned by the "
        "bank, and apply the result (settle, or reverse to available with a notice)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("payout_id", type=int)
        parser.add_argument("--returned", action="store_true", help="The bank returns it.")
        parser.add_argument("--reason", default="", help="The return reason to record.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not isinstance(payment_gateway(), SandboxGateway):
            raise CommandError("Only the sandbox gateway's payouts can be finished by hand.")
        payout = (
            Payout.objects.select_related("method", "user").filter(pk=options["payout_id"]).first()
        )
        if payout is None:
            raise CommandError(f"No payout {options['payout_id']}.")
        if payout.status != PayoutStatus.IN_TRANSIT:
            raise CommandError(f"Payout {payout.pk} is {payout.get_status_display().lower()}.")
        try:
            sandbox_payout_set_status(
                reference=payout.gateway_reference,
                returned=options["returned"],
                reason=options["reason"],
            )
        except NotFound as error:
            raise CommandError(error.detail) from None
        payout = payout_sync(payout=payout)
        self.stdout.write(f"Payout {payout.pk} is {payout.get_status_display().lower()}.")
