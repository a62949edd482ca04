"""Reading notifications and choosing which emails come. Essential topics (money, account,
disputes) always email; a one-click unsubscribe turns off one topic for one person."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from openlance.accounts.models import User
from openlance.core import clock
from openlance.core.errors import Conflict, InvalidInput
from openlance.core.mail import unsubscribe_token_read
from openlance.core.models import ESSENTIAL_TOPICS, EmailOptOut, Notification, NotificationTopic
from openlance.notifications.selectors import notification_for


def notification_read(*, user: User, notification_id: int) -> Notification:
    notification = notification_for(user=user, notification_id=notification_id)
    if notification.read_at is None:
        notification.read_at = clock.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_read_all(*, user: User, topic: str = "") -> int:
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if topic:
        unread = unread.filter(topic=_topic(topic))
    return unread.update(read_at=clock.now())


def _topic(topic: str) -> str:
    if topic not in NotificationTopic.values:
        raise InvalidInput(
            f"Unknown topic: choose one of {', '.join(NotificationTopic.values)}.",
            field_errors={"topic": ["Unknown."]},
        )
    return topic


def email_preference_set(*, user_id: int, topic: str, email: bool) -> None:
    """Turn a topic's emails on or off (idempotent); essential topics cannot be turned off."""
    topic = _topic(topic)
    if topic in ESSENTIAL_TOPICS:
        if not email:
            raise Conflict(
                f"{NotificationTopic(topic).label} emails always go: they are about your "
                "money or your account."
            )
        return
    if email:
        EmailOptOut.objects.filter(user_id=user_id, topic=topic).delete()
        return
    try:
        with transaction.atomic():
            EmailOptOut.objects.get_or_create(
                user_id=user_id, topic=topic, defaults={"created_at": clock.now()}
            )
    except IntegrityError:  # turned off by a concurrent request just now
        pass


def unsubscribe(*, token: str) -> str:
    """Apply an email's one-click unsubscribe link; the topic's label."""
    read = unsubscribe_token_read(token)
    if read is None or read[1] not in NotificationTopic.values:
        raise InvalidInput("This unsubscribe link is not valid.")
    user_id, topic = read
    if not User.objects.filter(pk=user_id, is_active=True).exists():
        raise InvalidInput("This unsubscribe link is not valid.")
    email_preference_set(user_id=user_id, topic=topic, email=False)
    return str(NotificationTopic(topic).label)
