"""A person's notifications (SPEC §14), newest first, and their email choices. Nobody sees
anyone else's."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from openlance.accounts.models import User
from openlance.core.errors import NotFound, require_id
from openlance.core.models import ESSENTIAL_TOPICS, EmailOptOut, Notification, NotificationTopic


def notifications_of(
    *, user: User, topic: str = "", unread: bool = False
) -> QuerySet[Notification]:
    found = Notification.objects.filter(user=user)
    if topic:
        found = found.filter(topic=topic)
    if unread:
        found = found.filter(read_at__isnull=True)
    return found.order_by("-created_at", "-id")


def unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notification_for(*, user: User, notification_id: int) -> Notification:
    require_id(notification_id, "notification")
    notification = Notification.objects.filter(user=user, pk=notification_id).first()
    if notification is None:
        raise NotFound("There is no such notification.")
    return notification


@dataclass(frozen=True)
class TopicChoice:
    topic: str
    label: str
    essential: bool
    email: bool


def email_choices(*, user: User) -> list[TopicChoice]:
    """Every topic, whether its emails reach this person, and whether they could stop them."""
    off = set(EmailOptOut.objects.filter(user=user).values_list("topic", flat=True))
    return [
        TopicChoice(
            topic=topic.value,
            label=topic.label,
            essential=topic in ESSENTIAL_TOPICS,
            email=topic in ESSENTIAL_TOPICS or topic.value not in off,
        )
        for topic in NotificationTopic
    ]
