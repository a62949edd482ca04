"""Reactions of accounts to its own events, delivered by the outbox worker: the answer to a
location verification request, which the verification page promises to send."""

from __future__ import annotations

from django.urls import reverse

from openlance.accounts.models import LocationVerification, VerificationStatus
from openlance.core.mail import notify
from openlance.core.models import NotificationTopic, OutboxEvent
from openlance.core.services import event_handler


def _reviewed(event: OutboxEvent, status: str) -> LocationVerification | None:
    return (
        LocationVerification.objects.select_related("user")
        .filter(pk=event.payload["verification_id"], status=status)
        .first()
    )


def _mail(verification: LocationVerification, subject: str, body: str) -> None:
    notify(
        verification.user,
        topic=NotificationTopic.ACCOUNT,
        subject=subject,
        body=body,
        link_label="Your verification",
        path=reverse("verification"),
    )


@event_handler("verification.approved")
def tell_the_user_their_location_is_verified(event: OutboxEvent) -> None:
    verification = _reviewed(event, VerificationStatus.APPROVED)
    if verification is not None:
        _mail(
            verification,
            "Your location is verified",
            f"A verifier confirmed that you live in {verification.city}, "
            f"{verification.country.name}. Your profile now shows it, and you can propose on "
            "jobs open only to freelancers there.",
        )


@event_handler("verification.rejected")
def tell_the_user_why_their_location_was_not_verified(event: OutboxEvent) -> None:
    verification = _reviewed(event, VerificationStatus.REJECTED)
    if verification is not None:
        _mail(
            verification,
            "Your location could not be verified",
            f"A verifier could not confirm that you live in {verification.city}, "
            f"{verification.country.name}. The reason:\n\n{verification.reason}\n\n"
            "You can appeal once: send new documents from your verification page and say "
            "what is new in them.",
        )
