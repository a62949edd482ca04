from __future__ import annotations

from typing import Any

from django import template

from openlance.accounts.models import User
from openlance.messaging.selectors import unread_total

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_messages(context: dict[str, Any]) -> int:
    """Unread messages of the signed-in user, for the header's Messages link."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return unread_total(user=user) if isinstance(user, User) else 0
