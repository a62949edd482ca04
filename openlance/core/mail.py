"""How features tell a person something (SPEC §14): `notify` writes the notification the
site's notification centre shows and sends the email, in one shape. Money, account and
dispute emails always go; the others carry a one-click unsubscribe link (RFC 8058) and are
not sent to someone who turned their topic off."""

from __future__ import annotations

from typing import Protocol

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.urls import reverse

from openlance.core import clock
from openlance.core.models import ESSENTIAL_TOPICS, EmailOptOut, Notification

UNSUBSCRIBE_SALT = "openlance.unsubscribe"


class Recipient(Protocol):
    @property
    def display_name(self) -> str: ...

    pk: int
    email: str


def unsubscribe_token(user_id: int, topic: str) -> str:
    """A signed (user, topic) pair: the unsubscribe link works without signing in, and only
    for that person and topic."""
    return signing.dumps({"u": user_id, "t": topic}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_token_read(token: str) -> tuple[int, str] | None:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    return data["u"], str(data.get("t", ""))


def notify(
    to: Recipient, *, topic: str, subject: str, body: str, link_label: str, path: str
) -> Notification:
    """Tell `to`: a notification in the site's centre, and the email "Hello <name>," then
    `body`, then `link_label: <site>/<path>` so the reader can act."""
    notification = Notification.objects.create(
        user_id=to.pk,
        topic=topic,
        title=subject[:200],
        body=body,
        path=path,
        created_at=clock.now(),
    )
    essential = topic in ESSENTIAL_TOPICS
    if not essential and EmailOptOut.objects.filter(user_id=to.pk, topic=topic).exists():
        return notification
    text = f"Hello {to.display_name},\n\n{body}\n\n{link_label}: {settings.SITE_URL}{path}\n"
    headers: dict[str, str] = {}
    if not essential:
        unsubscribe = settings.SITE_URL + reverse(
            "notifications_unsubscribe", args=[unsubscribe_token(to.pk, topic)]
        )
        text += f"\nStop these emails: {unsubscribe}\n"
        headers = {
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    EmailMessage(
        subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{subject}",
        body=text,
        to=[to.email],
        headers=headers,
    ).send()
    return notification
