from datetime import datetime
from typing import Any

from django.core.management.base import CommandError, CommandParser

from openlance.billing.models import CardCharge
from openlance.billing.services import (
    CARD_CHARGE_REPLAY_WINDOW,
    MAX_GATEWAY_REFERENCE_LENGTH,
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
        book, not_charged, reference = options["book"], options["not_charged"], options["reference"]
        if book is None and not_charged is None:
            if reference is not None:
                raise CommandError("--reference goes with --book KEY only.")
            super().handle(*args, **options)
            return
        if book is not None and not_charged is not None:
            raise CommandError("Use one of --book and --not-charged, not both.")
        if not_charged is not None and reference is not None:
            raise CommandError(
                "--not-charged takes no --reference: it records that the provider holds no "
                "charge for the key. To book a charge the provider made, use --book KEY "
                "--reference ID."
            )
        if book is not None:
            reference = (reference or "").strip()
            if not reference:
                raise CommandError(
                    "--book needs the provider's --reference: the id of the charge that "
                    "succeeded under the key."
                )
            if len(reference) > MAX_GATEWAY_REFERENCE_LENGTH:
                raise CommandError(
                    f"--reference has {len(reference)} characters; a provider's charge id "
                    f"has at most {MAX_GATEWAY_REFERENCE_LENGTH}."
                )
        key = book if book is not None else not_charged
        charge = CardCharge.objects.filter(key=key).first()
        if charge is None:
            raise CommandError(f"No card charge has the key {key!r}.")
        try:
            charge = card_charge_resolve(charge=charge, reference=reference or "", actor=None)
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
