from datetime import datetime
from typing import Any

from django.core.management.base import CommandError, CommandParser

from openlance.billing.models import CardCharge
from openlance.billing.services import (
    CARD_CHARGE_REPLAY_WINDOW,
    card_charge_resolve,
    card_charges_reconcile_run_due,
)
from openlance.core.commands import RunDueCommand
from openlance.core.errors import DomainError


class Command(RunDueCommand):
    help = (
        "Settle the card charges left unbooked by a request that died (SPEC §17): every charge "
        "still sent to the gateway after its claim lapsed (5 minutes) is asked again with its "
        "own key and booked once, or marked declined. Safe to repeat. Charges older than the "
        f"replay window ({CARD_CHARGE_REPLAY_WINDOW}) are counted as stale and left to an "
        "operator, who looks the key up at the provider and records what it says with "
        "--book KEY --reference ID (the provider's id of the successful charge) or "
        "--not-charged KEY."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--book", metavar="KEY", help="Book the charge with this key.")
        parser.add_argument(
            "--reference", help="The provider's id of the charge to book (with --book)."
        )
        parser.add_argument(
            "--not-charged",
            metavar="KEY",
            help="Mark the charge with this key declined: the provider holds no charge for it.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not (options["book"] or options["not_charged"]):
            if options["reference"]:
                raise CommandError("--reference goes with --book.")
            super().handle(*args, **options)
            return
        if options["book"] and options["not_charged"]:
            raise CommandError("Use one of --book and --not-charged.")
        if options["book"] and not options["reference"]:
            raise CommandError("--book needs the provider's --reference.")
        key = options["book"] or options["not_charged"]
        charge = CardCharge.objects.filter(key=key).first()
        if charge is None:
            raise CommandError(f"No card charge has the key {key!r}.")
        try:
            charge = card_charge_resolve(
                charge=charge, reference=options["reference"] or "", actor=None
            )
        except DomainError as refusal:
            raise CommandError(refusal.detail) from refusal
        self.stdout.write(f"Card charge {charge.key} is {charge.state}.")

    def run_due(self, now: datetime) -> str:
        counts = card_charges_reconcile_run_due(now=now)
        return (
            f"{counts['booked']} card charge(s) booked, {counts['declined']} declined, "
            f"{counts['retry']} left for the next run, {counts['stale']} stale "
            "(for an operator: see --book and --not-charged)."
        )
