"""A person's notifications (SPEC §14), newest first, and their email choices. Nobody sees
anyone else's."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import BigIntegerField, Count, QuerySet, Value

from openlance.accounts.models import User
from openlance.core.errors import NotFound, require_id
from openlance.core.models import ESSENTIAL_TOPICS, EmailOptOut, Notification, NotificationTopic
from openlance.core.prepared import PreparedRead, Slot


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
    """The count on the header's bell, on every page a signed-in user sees: a prepared read
    (the ORM built it in 0.15 ms)."""
    ((count,),) = _UNREAD.rows(user_id=user.pk)
    return int(count)


# The constant left out of GROUP BY makes one row over all the user's unread, even none.
_UNREAD = PreparedRead(
    lambda: (
        Notification.objects.filter(
            user_id=Slot("user_id", BigIntegerField()), read_at__isnull=True
        )
        .order_by()
        .annotate(whole=Value(1))
        .values("whole")
        .annotate(count=Count("id"))
        .values_list("count")
    )
)


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
