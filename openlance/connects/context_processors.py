from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from openlance.accounts.models import User
from openlance.connects.selectors import connects_balance
from openlance.connects.services import connects_account_open


def connects_header(request: HttpRequest) -> dict[str, Any]:
    """The Connects balance in the header while acting as a freelancer. Opening the account
    here is what gives a new freelancer the welcome grant on their first page."""
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_freelancer or user.active_role != "freelancer":
        return {}
    connects_account_open(user=user)
    return {"header_connects": connects_balance(user=user)}
