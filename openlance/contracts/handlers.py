"""Reactions to milestones and amendments, delivered by the outbox worker: emails (each
handler re-reads the milestone and stays quiet when a later change made its notice stale),
and the earnings and spending figures a payment changes on both parties' profiles."""

from __future__ import annotations

from django.db.models import QuerySet

from openlance.accounts.models import User
from openlance.billing.selectors import PAYMENT_KINDS
from openlance.contracts.models import (
    Amendment,
    AmendmentState,
    Contract,
    Milestone,
    MilestoneState,
)
from openlance.core.mail import email_user
from openlance.core.models import OutboxEvent
from openlance.core.money import Money
from openlance.core.services import event_handler
from openlance.ledger.models import Transfer
from openlance.profiles.services import (
    Earnings,
    client_spending_record,
    freelancer_earnings_record,
)


def _milestone(event: OutboxEvent) -> Milestone | None:
    return (
        Milestone.objects.select_related("contract__client", "contract__freelancer")
        .filter(pk=event.payload.get("milestone_id"))
        .first()
    )


def _mail(to: User, subject: str, body: str, contract_id: int) -> None:
    email_user(
        to,
        subject=subject,
        body=body,
        link_label="Open the contract",
        path=f"/contracts/{contract_id}/",
    )


@event_handler("milestone.funded")
def email_funding_to_freelancer(event: OutboxEvent) -> None:
    milestone = _milestone(event)
    if milestone is None:
        return
    contract = milestone.contract
    _mail(
        contract.freelancer,
        f"Milestone funded: “{milestone.description}”",
        f"{contract.client.display_name} put {Money(int(event.payload['amount_cents']))} in "
        f"escrow for “{milestone.description}” on “{contract.title}”. The work is protected: "
        "submit it from the contract room when it is ready.",
        contract.pk,
    )


@event_handler("milestone.submitted")
def email_submission_to_client(event: OutboxEvent) -> None:
    milestone = _milestone(event)
    if milestone is None or milestone.state != MilestoneState.SUBMITTED:
        return
    contract = milestone.contract
    again = "resubmitted" if event.payload.get("resubmitted") else "submitted"
    deadline = (
        f" If you do not answer by {milestone.auto_approve_at:%B %-d, %Y}, it is approved "
        "and paid automatically."
        if milestone.auto_approve_at
        else ""
    )
    _mail(
        contract.client,
        f"Work {again}: “{milestone.description}”",
        f"{contract.freelancer.display_name} {again} the work for “{milestone.description}” on "
        f"“{contract.title}”. Review it, then approve it or request changes.{deadline}",
        contract.pk,
    )


@event_handler("milestone.auto_approve_soon")
def email_auto_approval_warning_to_client(event: OutboxEvent) -> None:
    milestone = _milestone(event)
    if milestone is None or milestone.state != MilestoneState.SUBMITTED:
        return
    contract = milestone.contract
    _mail(
        contract.client,
        f"Approved automatically in 2 days: “{milestone.description}”",
        f"The work submitted for “{milestone.description}” on “{contract.title}” is waiting "
        f"for your review. Without an answer it is approved and paid on "
        f"{milestone.auto_approve_at:%B %-d, %Y at %H:%M} UTC.",
        contract.pk,
    )


@event_handler("milestone.changes_requested")
def email_changes_to_freelancer(event: OutboxEvent) -> None:
    milestone = _milestone(event)
    if milestone is None or milestone.state != MilestoneState.CHANGES_REQUESTED:
        return
    contract = milestone.contract
    latest = milestone.submissions.order_by("-created_at", "-id").first()
    note = f"\n\nTheir message:\n{latest.changes_message}" if latest else ""
    _mail(
        contract.freelancer,
        f"Changes requested: “{milestone.description}”",
        f"{contract.client.display_name} asked for changes to “{milestone.description}” on "
        f"“{contract.title}”.{note}",
        contract.pk,
    )


@event_handler("milestone.approved")
def email_approval_to_freelancer(event: OutboxEvent) -> None:
    milestone = _milestone(event)
    if milestone is None:
        return
    contract = milestone.contract
    how = "was approved automatically" if event.payload.get("automatic") else "was approved"
    _mail(
        contract.freelancer,
        f"Milestone approved: “{milestone.description}”",
        f"“{milestone.description}” on “{contract.title}” {how}. "
        f"{Money(int(event.payload['gross_cents']))} was released; after the service fee of "
        f"{Money(int(event.payload['fee_cents']))}, {Money(int(event.payload['net_cents']))} "
        "is in your pending balance and becomes available after the security period.",
        contract.pk,
    )


@event_handler("amendment.proposed")
def email_amendment_to_other_side(event: OutboxEvent) -> None:
    amendment = (
        Amendment.objects.select_related("contract__client", "contract__freelancer", "proposed_by")
        .filter(pk=event.payload.get("amendment_id"))
        .first()
    )
    if amendment is None or amendment.state != AmendmentState.PENDING:
        return
    contract = amendment.contract
    other = (
        contract.client
        if amendment.proposed_by_id == contract.freelancer_id
        else contract.freelancer
    )
    _mail(
        other,
        f"New milestone proposed on “{contract.title}”",
        f"{amendment.proposed_by.display_name} proposed a new milestone: "
        f"“{amendment.description}” for {Money(amendment.amount_cents)}. It joins the contract "
        "only when you accept it.",
        contract.pk,
    )


def _payments(*, party: str, user: User) -> QuerySet[Transfer]:
    """The payments for work (billing's PAYMENT_KINDS, which name both parties and the gross
    in their metadata) where `user` is the `party` ("freelancer" or "client"); a reversed
    payment no longer counts."""
    return Transfer.objects.filter(
        kind__in=PAYMENT_KINDS, reversal__isnull=True, **{f"metadata__{party}_id": user.pk}
    )


def earnings_of(freelancer: User) -> Earnings:
    """What the freelancer has earned in all, as the ledger's payments say."""
    payments = list(
        _payments(party="freelancer", user=freelancer).values_list(
            "metadata__gross_cents", "metadata__contract_id", "created_at"
        )
    )
    return Earnings(
        total_earned_cents=sum(int(gross) for gross, _, _ in payments),
        total_jobs=len({contract_id for _, contract_id, _ in payments}),
        last_earned_at=max((paid_at for _, _, paid_at in payments), default=None),
    )


def spending_of(client: User) -> int:
    """What the client has paid freelancers in all, in cents."""
    payments = _payments(party="client", user=client)
    return sum(int(gross) for gross in payments.values_list("metadata__gross_cents", flat=True))


@event_handler("milestone.approved")
def record_earnings_and_spending(event: OutboxEvent) -> None:
    """Counted from the whole ledger each time, so a repeated event changes nothing."""
    contract = (
        Contract.objects.select_related("client", "freelancer")
        .filter(pk=event.payload.get("contract_id"))
        .first()
    )
    if contract is None:
        return
    freelancer, client = contract.freelancer, contract.client
    freelancer_earnings_record(user=freelancer, count=lambda: earnings_of(freelancer))
    client_spending_record(user=client, count=lambda: spending_of(client))
