"""The notification emails features send from their event handlers, in one shape."""

from __future__ import annotations

from typing import Protocol

from django.conf import settings
from django.core.mail import send_mail


class Recipient(Protocol):
    @property
    def display_name(self) -> str: ...

    email: str


def email_user(to: Recipient, *, subject: str, body: str, link_label: str, path: str) -> None:
    """ "Hello <name>," then `body`, then `link_label: <site>/<path>` so the reader can act."""
    send_mail(
        subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{subject}",
        message=(
            f"Hello {to.display_name},\n\n{body}\n\n{link_label}: {settings.SITE_URL}{path}\n"
        ),
        from_email=None,
        recipient_list=[to.email],
    )
