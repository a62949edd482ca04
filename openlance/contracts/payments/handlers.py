"""Emails about bonuses, delivered by the outbox worker."""

from __future__ import annotations

from openlance.contracts.models import Bonus
from openlance.core.mail import email_user
from openlance.core.models import OutboxEvent
from openlance.core.money import Money
from openlance.core.services import event_handler


@event_handler("bonus.paid")
def email_bonus_to_freelancer(event: OutboxEvent) -> None:
    bonus = (
        Bonus.objects.select_related("contract__client", "contract__freelancer", "payment")
        .filter(pk=event.payload.get("bonus_id"))
        .first()
    )
    if bonus is None:
        return
    contract = bonus.contract
    note = f"\n\nTheir note:\n{bonus.note}" if bonus.note else ""
    email_user(
        contract.freelancer,
        subject=f"A bonus of {Money(bonus.amount_cents)} on “{contract.title}”",
        body=f"{contract.client.display_name} paid you a bonus of {Money(bonus.amount_cents)}. "
        f"After the service fee of {Money(bonus.payment.fee_cents)} you receive "
        f"{Money(bonus.payment.net_cents)}, pending for the security period.{note}",
        link_label="Open the contract",
        path=f"/contracts/{contract.pk}/",
    )
