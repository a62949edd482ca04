"""Reactions of the Connects feature to its own events, delivered by the outbox worker."""

from __future__ import annotations

from openlance.accounts.models import User
from openlance.connects.services import connects_welcome_grant
from openlance.core.mail import notify
from openlance.core.models import NotificationTopic, OutboxEvent
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
    notify(
        user,
        topic=NotificationTopic.MONEY,
        subject="Your Plus plan could not be renewed",
        body="We could not charge your card for this month's Plus plan "
        f"({event.payload['reason']}), so your account moved to the Basic plan and "
        "received the Basic allotment. Your Connects are still yours. You can subscribe "
        "to Plus again with another card.",
        link_label="Your Connects",
        path="/connects/",
    )
