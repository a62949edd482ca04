"""Every event that changes an input of the Job Success Score recomputes the scores it
touches (SPEC §11 "on every event that changes an input"): a contract starting (a repeat
contract counts while active) or ending, a payment or a refund (the weight), the client's
feedback revealed, a client flagged or cleared (their feedback stops or starts counting),
and a dispute decided. Each recompute reads the stored facts, so a repeated or late event
changes nothing."""

from __future__ import annotations

from django.db.models import Q

from openlance.contracts.models import Bonus, Contract, HourlyInvoice, MilestoneRelease
from openlance.core.models import OutboxEvent
from openlance.core.services import event_handler
from openlance.reputation.models import JssReason
from openlance.reputation.services import jss_recompute


def _int(event: OutboxEvent, key: str) -> int | None:
    value = event.payload.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _freelancer_of(contract_id: int | None) -> int | None:
    if contract_id is None:
        return None
    return Contract.objects.filter(pk=contract_id).values_list("freelancer_id", flat=True).first()


def _recompute_for_contract(event: OutboxEvent, reason: str) -> None:
    contract_id = _int(event, "contract_id")
    freelancer_id = _int(event, "freelancer_id") or _freelancer_of(contract_id)
    if freelancer_id is not None:
        jss_recompute(freelancer_id=freelancer_id, reason=reason, contract_id=contract_id)


@event_handler("contract.started")
def recompute_on_contract_started(event: OutboxEvent) -> None:
    _recompute_for_contract(event, JssReason.CONTRACT_STARTED)


@event_handler("contract.ended")
def recompute_on_contract_ended(event: OutboxEvent) -> None:
    _recompute_for_contract(event, JssReason.CONTRACT_ENDED)


@event_handler("feedback.revealed")
def recompute_on_feedback_revealed(event: OutboxEvent) -> None:
    _recompute_for_contract(event, JssReason.FEEDBACK_REVEALED)


@event_handler("dispute.decided")
def recompute_on_dispute_decided(event: OutboxEvent) -> None:
    """For the disputes feature: its `dispute.decided` event names the contract whose
    `dispute_decision` it set (and may name the freelancer)."""
    _recompute_for_contract(event, JssReason.DISPUTE_DECIDED)


def _recompute_for_payment(event: OutboxEvent, reason: str) -> None:
    freelancer_id = _int(event, "freelancer_id")
    payment_id = _int(event, "payment_id")
    if freelancer_id is None:
        return
    contract_id = None
    if payment_id is not None:
        contract_id = (
            (
                MilestoneRelease.objects.filter(payment_id=payment_id)
                .values_list("contract_id", flat=True)
                .first()
            )
            or (
                HourlyInvoice.objects.filter(
                    Q(payment_id=payment_id) | Q(protection_payment_id=payment_id)
                )
                .values_list("contract_id", flat=True)
                .first()
            )
            or (
                Bonus.objects.filter(payment_id=payment_id)
                .values_list("contract_id", flat=True)
                .first()
            )
        )
    jss_recompute(
        freelancer_id=freelancer_id,
        reason=reason,
        contract_id=contract_id,
        ref={"payment_id": payment_id} if payment_id is not None else None,
    )


@event_handler("payment.made")
def recompute_on_payment_made(event: OutboxEvent) -> None:
    _recompute_for_payment(event, JssReason.PAYMENT_MADE)


@event_handler("payment.refunded")
def recompute_on_payment_refunded(event: OutboxEvent) -> None:
    _recompute_for_payment(event, JssReason.PAYMENT_REFUNDED)


def _recompute_for_client_flag(event: OutboxEvent, reason: str) -> None:
    """The freelancers whose feedback from this client starts or stops counting."""
    ref = {key: value for key in ("client_id", "flag_id") if (value := _int(event, key))}
    freelancer_ids = event.payload.get("freelancer_ids") or []
    for freelancer_id in sorted({int(i) for i in freelancer_ids if isinstance(i, int)}):
        jss_recompute(freelancer_id=freelancer_id, reason=reason, ref=ref)


@event_handler("client.feedback_flagged")
def recompute_on_client_flagged(event: OutboxEvent) -> None:
    _recompute_for_client_flag(event, JssReason.CLIENT_FLAGGED)


@event_handler("client.feedback_unflagged")
def recompute_on_client_unflagged(event: OutboxEvent) -> None:
    _recompute_for_client_flag(event, JssReason.CLIENT_UNFLAGGED)
