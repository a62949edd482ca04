"""Emails at every step of a dispute, to both sides, delivered by the outbox worker."""

from __future__ import annotations

from openlance.contracts.hourly import weeks
from openlance.core.mail import notify
from openlance.core.models import NotificationTopic, OutboxEvent
from openlance.core.money import Money
from openlance.core.services import event_handler
from openlance.disputes.models import Dispute, DisputeState, Side

STEPS = {
    "dispute.opened": "A dispute was opened",
    "dispute.in_mediation": "The dispute went to a mediator",
    "dispute.proposed": "A mediator proposed a split",
    "dispute.arbitration": "The dispute went to arbitration",
    "dispute.decided": "The dispute was decided",
}


def _body(dispute: Dispute, kind: str) -> str:
    escrow = Money(dispute.amount_cents)
    opener = "The client" if dispute.opened_by == Side.CLIENT else "The freelancer"
    invoice = dispute.invoice
    if kind == "dispute.opened" and invoice is not None:
        return (
            f"The client disputes {dispute.subject} ({escrow}): “{dispute.reason}”. It is not "
            "paid, charged again or covered by hourly protection, and the contract is paused. "
            f"The freelancer has until {dispute.respond_by:%B %-d, %Y at %H:%M} UTC to "
            "respond, or none of its hours are billed."
        )
    if kind == "dispute.opened":
        return (
            f"{opener} disputes {dispute.subject} ({escrow}): "
            f"“{dispute.reason}”. The escrow is frozen. The other side has until "
            f"{dispute.respond_by:%B %-d, %Y at %H:%M} UTC to respond, or it goes to the side "
            "that opened the dispute."
        )
    if kind == "dispute.in_mediation":
        if invoice is not None:
            return "Both sides have spoken; a mediator will decide which hours are billed."
        return "Both sides have spoken; a mediator will propose how to split the escrow."
    if kind == "dispute.proposed":
        return (
            f"The mediator proposes {Money(dispute.proposal_freelancer_cents or 0)} to the "
            f"freelancer and {Money(dispute.proposal_client_cents or 0)} back to the client: "
            f"“{dispute.proposal_note}”. Accept or reject it; if both accept it is executed."
        )
    if kind == "dispute.arbitration":
        return "The proposal was not accepted by both sides: an arbitrator will decide."
    if invoice is not None:
        billed = weeks.hours_text(dispute.billed_seconds or 0)
        rest = (
            f"{Money(dispute.client_cents or 0)} back to the client"
            if invoice.charge_id
            else "the client owes those hours alone"
        )
        return (
            f"Decided ({dispute.get_decided_by_display().lower()}): {billed} hours billed, "
            f"{Money(dispute.freelancer_cents or 0)} to the freelancer; {rest}. The contract "
            "resumes if the dispute paused it."
        )
    return (
        f"Decided ({dispute.get_decided_by_display().lower()}): "
        f"{Money(dispute.freelancer_cents or 0)} to the freelancer, "
        f"{Money(dispute.client_cents or 0)} back to the client."
    )


@event_handler("dispute.opened")
@event_handler("dispute.in_mediation")
@event_handler("dispute.proposed")
@event_handler("dispute.arbitration")
@event_handler("dispute.decided")
def email_dispute_step(event: OutboxEvent) -> None:
    dispute = (
        Dispute.objects.select_related(
            "contract__client", "contract__freelancer", "milestone", "invoice"
        )
        .filter(pk=event.payload.get("dispute_id"))
        .first()
    )
    if dispute is None:
        return
    if event.kind == "dispute.decided" and dispute.state != DisputeState.DECIDED:
        return
    contract = dispute.contract
    for user in (contract.client, contract.freelancer):
        notify(
            user,
            topic=NotificationTopic.DISPUTES,
            subject=f"{STEPS[event.kind]} on “{contract.title}”",
            body=_body(dispute, event.kind),
            link_label="Open the dispute",
            path=f"/disputes/{dispute.pk}/",
        )
