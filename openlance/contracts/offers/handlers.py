"""Reactions to offer events and to posts closing, delivered by the outbox worker."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail

from openlance.contracts.models import Contract, Offer, OfferState
from openlance.contracts.offers.services import offers_job_closed
from openlance.core.models import OutboxEvent
from openlance.core.services import event_handler
from openlance.jobs.models import JobPost


def _offer(event: OutboxEvent) -> Offer | None:
    return (
        Offer.objects.select_related("client", "freelancer", "job")
        .filter(pk=event.payload["offer_id"])
        .first()
    )


def _mail(to: str, subject: str, body: str) -> None:
    send_mail(
        subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{subject}",
        message=body,
        from_email=None,
        recipient_list=[to],
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
        offer.freelancer.email,
        f"{'The offer was changed' if changed else 'You have an offer'}: “{offer.title}”",
        f"Hello {offer.freelancer.display_name},\n\n"
        f"{offer.client.display_name} "
        f"{'changed the offer' if changed else 'sent you an offer'} for “{offer.job.title}”. "
        f"Review the terms and accept or decline before "
        f"{offer.expires_at:%B %-d, %Y}:\n"
        f"{settings.SITE_URL}/contracts/offers/{offer.pk}/\n\n{offer.message}\n",
    )


@event_handler("offer.declined")
def email_decline_to_client(event: OutboxEvent) -> None:
    offer = _offer(event)
    if offer is None:
        return
    reason = f"\nTheir reason: {offer.decline_reason}\n" if offer.decline_reason else ""
    _mail(
        offer.client.email,
        f"Your offer was declined: “{offer.title}”",
        f"Hello {offer.client.display_name},\n\n"
        f"{offer.freelancer.public_name} declined your offer for “{offer.job.title}”.\n"
        f"{reason}\n{settings.SITE_URL}/contracts/offers/{offer.pk}/\n",
    )


@event_handler("offer.withdrawn")
@event_handler("offer.expired")
def email_offer_ended_to_freelancer(event: OutboxEvent) -> None:
    offer = _offer(event)
    if offer is None:
        return
    how = "was withdrawn by the client" if event.kind == "offer.withdrawn" else "expired"
    _mail(
        offer.freelancer.email,
        f"An offer {how}: “{offer.title}”",
        f"Hello {offer.freelancer.display_name},\n\n"
        f"The offer for “{offer.job.title}” {how}; no contract was started.\n"
        f"{settings.SITE_URL}/contracts/offers/{offer.pk}/\n",
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
        contract.client.email,
        f"Your offer was accepted: “{contract.title}”",
        f"Hello {contract.client.display_name},\n\n"
        f"{contract.freelancer.public_name} accepted your offer; the contract has started. "
        "Fund the first milestone so work can begin under protection:\n"
        f"{settings.SITE_URL}/contracts/{contract.pk}/\n",
    )


@event_handler("job.closed_hired")
@event_handler("job.closed_no_hire")
@event_handler("job.expired")
@event_handler("job.removed")
def withdraw_offers_on_close(event: OutboxEvent) -> None:
    job = JobPost.objects.filter(pk=event.payload["job_id"]).first()
    if job is not None:
        offers_job_closed(job=job)
