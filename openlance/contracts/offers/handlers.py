"""Reactions to offer events and to posts closing, delivered by the outbox worker."""

from __future__ import annotations

from openlance.accounts.models import User
from openlance.contracts.models import Contract, Offer, OfferState
from openlance.contracts.offers.services import offers_job_closed
from openlance.core.mail import notify
from openlance.core.models import NotificationTopic, OutboxEvent
from openlance.core.services import event_handler
from openlance.jobs.models import JobPost


def _offer(event: OutboxEvent) -> Offer | None:
    return (
        Offer.objects.select_related("client", "freelancer", "job")
        .filter(pk=event.payload["offer_id"])
        .first()
    )


def _mail(to: User, subject: str, body: str, path: str) -> None:
    notify(
        to,
        topic=NotificationTopic.CONTRACTS,
        subject=subject,
        body=body,
        link_label="Open it",
        path=path,
    )


@event_handler("offer.sent")
@event_handler("offer.changed")
def email_offer_to_freelancer(event: OutboxEvent) -> None:
    offer = _offer(event)
    # A later change or answer makes this notice stale; the newer event has its own.
    if (
        offer is None
        or offer.state != OfferState.PENDING
        or offer.revision != event.payload.get("revision")
    ):
        return
    changed = event.kind == "offer.changed"
    _mail(
        offer.freelancer,
        f"{'The offer was changed' if changed else 'You have an offer'}: “{offer.title}”",
        f"{offer.client.display_name} "
        f"{'changed the offer' if changed else 'sent you an offer'} for “{offer.job.title}”. "
        f"Review the terms and accept or decline before "
        f"{offer.expires_at:%B %-d, %Y}.\n\n{offer.message}",
        f"/contracts/offers/{offer.pk}/",
    )


@event_handler("offer.declined")
def email_decline_to_client(event: OutboxEvent) -> None:
    offer = _offer(event)
    if offer is None:
        return
    reason = f"\n\nTheir reason: {offer.decline_reason}" if offer.decline_reason else ""
    _mail(
        offer.client,
        f"Your offer was declined: “{offer.title}”",
        f"{offer.freelancer.public_name} declined your offer for “{offer.job.title}”.{reason}",
        f"/contracts/offers/{offer.pk}/",
    )


@event_handler("offer.withdrawn")
@event_handler("offer.expired")
def email_offer_ended_to_freelancer(event: OutboxEvent) -> None:
    offer = _offer(event)
    if offer is None:
        return
    how = "was withdrawn by the client" if event.kind == "offer.withdrawn" else "expired"
    _mail(
        offer.freelancer,
        f"An offer {how}: “{offer.title}”",
        f"The offer for “{offer.job.title}” {how}; no contract was started.",
        f"/contracts/offers/{offer.pk}/",
    )


@event_handler("contract.started")
def email_contract_started(event: OutboxEvent) -> None:
    contract = (
        Contract.objects.select_related("client", "freelancer")
        .filter(pk=event.payload["contract_id"])
        .first()
    )
    if contract is None:
        return
    _mail(
        contract.client,
        f"Your offer was accepted: “{contract.title}”",
        f"{contract.freelancer.public_name} accepted your offer; the contract has started. "
        "Fund the first milestone so work can begin under protection.",
        f"/contracts/{contract.pk}/",
    )


@event_handler("job.closed_hired")
@event_handler("job.closed_no_hire")
@event_handler("job.expired")
@event_handler("job.removed")
def withdraw_offers_on_close(event: OutboxEvent) -> None:
    job = JobPost.objects.filter(pk=event.payload["job_id"]).first()
    if job is not None:
        offers_job_closed(job=job)
