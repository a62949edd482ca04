"""Reactions of the Connects feature to its own events, delivered by the outbox worker."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail

from openlance.accounts.models import User
from openlance.connects.services import connects_welcome_grant
from openlance.core.models import OutboxEvent
from openlance.core.services import event_handler


@event_handler("accounts.freelancer_joined")
def welcome_new_freelancer(event: OutboxEvent) -> None:
    user = User.objects.filter(pk=event.payload["user_id"], is_active=True).first()
    if user is not None:
        connects_welcome_grant(user=user)


@event_handler("connects.plus_lapsed")
def tell_freelancer_plus_lapsed(event: OutboxEvent) -> None:
    user = User.objects.filter(pk=event.payload["user_id"], is_active=True).first()
    if user is None:
        return
    send_mail(
        subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}Your Plus plan could not be renewed",
        message=(
            f"Hello {user.display_name},\n\n"
            "We could not charge your card for this month's Plus plan "
            f"({event.payload['reason']}), so your account moved to the Basic plan and "
            "received the Basic allotment. Your Connects are still yours. You can subscribe "
            f"to Plus again with another card:\n{settings.SITE_URL}/connects/\n"
        ),
        from_email=None,
        recipient_list=[user.email],
    )
