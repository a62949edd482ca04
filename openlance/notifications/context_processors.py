from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from openlance.accounts.models import User
from openlance.notifications.selectors import unread_count


def notifications_header(request: HttpRequest) -> dict[str, Any]:
    """The unread count on the header's bell."""
    user = getattr(request, "user", None)
    if not isinstance(user, User):
        return {}
    return {"header_unread": unread_count(user=user)}
