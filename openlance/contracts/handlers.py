"""Reactions to milestones and amendments, delivered by the outbox worker: emails (each
handler re-reads the milestone and stays quiet when a later change made its notice stale),
and the earnings and spending figures a payment changes on both parties' profiles."""

from __future__ import annotations

from django.db.models import Max, Sum

from openlance.accounts.models import User
from openlance.billing.models import Relationship
from openlance.contracts.hourly.weeks import SECONDS_PER_HOUR
from openlance.contracts.models import (
    PAID_STATES,
    Amendment,
    AmendmentKind,
    AmendmentState,
    HourlyInvoice,
    InvoiceState,
    Milestone,
    MilestoneRelease,
    MilestoneState,
)
from openlance.core.mail import notify
from openlance.core.models import NotificationTopic, OutboxEvent
from openlance.core.money import Money
from openlance.core.services import event_handler
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


def _mail(
    to: User,
    subject: str,
    body: str,
    contract_id: int,
    topic: str = NotificationTopic.CONTRACTS,
) -> None:
    notify(
        to,
        topic=topic,
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
        NotificationTopic.MONEY,
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
    if amendment.kind == AmendmentKind.MILESTONE_CHANGE:
        _mail(
            other,
            f"A change proposed on “{contract.title}”",
            f"{amendment.proposed_by.display_name} proposes a change to a milestone: "
            f"{amendment.description}. It applies only when you accept it.",
            contract.pk,
        )
        return
    if amendment.kind == AmendmentKind.HOURLY_TERMS:
        _mail(
            other,
            f"New terms proposed on “{contract.title}”",
            f"{amendment.proposed_by.display_name} proposed a new rate of "
            f"{Money(amendment.hourly_rate_cents or 0)}/hr and a weekly limit of "
            f"{amendment.weekly_limit_hours} hours. If you accept, they bill from the Monday "
            "after; until then the current terms apply.",
            contract.pk,
        )
        return
    _mail(
        other,
        f"New milestone proposed on “{contract.title}”",
        f"{amendment.proposed_by.display_name} proposed a new milestone: "
        f"“{amendment.description}” for {Money(amendment.amount_cents or 0)}. It joins the "
        "contract only when you accept it.",
        contract.pk,
    )


def earnings_of(freelancer: User) -> Earnings:
    """What the freelancer has earned in all (gross, less refunds), from their
    relationships, and on how many contracts."""
    totals = Relationship.objects.filter(freelancer=freelancer).aggregate(
        earned=Sum("gross_cents"), last=Max("last_paid_at")
    )
    paid_hourly = HourlyInvoice.objects.filter(
        contract__freelancer=freelancer, state__in=PAID_STATES
    )
    # Hours count once the client paid them; protection alone pays only part of a week.
    seconds = (
        paid_hourly.filter(state=InvoiceState.PAID).aggregate(seconds=Sum("seconds_billed"))[
            "seconds"
        ]
        or 0
    )
    jobs = set(
        MilestoneRelease.objects.filter(contract__freelancer=freelancer).values_list(
            "contract_id", flat=True
        )
    ) | set(paid_hourly.values_list("contract_id", flat=True))
    return Earnings(
        total_earned_cents=totals["earned"] or 0,
        total_jobs=len(jobs),
        last_earned_at=totals["last"],
        total_hours=int(seconds) // SECONDS_PER_HOUR,
    )


def spending_of(client: User) -> int:
    """What the client has paid freelancers in all, in cents, less refunds."""
    spent = Relationship.objects.filter(client=client).aggregate(spent=Sum("gross_cents"))
    return spent["spent"] or 0


@event_handler("payment.made")
@event_handler("payment.refunded")
def record_earnings_and_spending(event: OutboxEvent) -> None:
    """Counted from the relationships each time, so a repeated event changes nothing."""
    freelancer = User.objects.filter(pk=event.payload.get("freelancer_id")).first()
    client = User.objects.filter(pk=event.payload.get("client_id")).first()
    if freelancer is not None:
        freelancer_earnings_record(user=freelancer, count=lambda: earnings_of(freelancer))
    if client is not None:
        client_spending_record(user=client, count=lambda: spending_of(client))
