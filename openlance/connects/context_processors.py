from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from openlance.accounts.models import User
from openlance.connects.selectors import connects_balance


def connects_header(request: HttpRequest) -> dict[str, Any]:
    """The Connects balance in the header while acting as a freelancer."""
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_freelancer or user.active_role != "freelancer":
        return {}
    return {"header_connects": connects_balance(user=user)}
