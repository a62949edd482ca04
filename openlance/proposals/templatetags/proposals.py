"""Template helpers other features' pages use to show proposal facts (a profile page shows
the freelancer's invitation response time) without importing this higher layer."""

from __future__ import annotations

from datetime import timedelta

from django import template

from openlance.accounts.models import User
from openlance.proposals.selectors import invitation_response_time

register = template.Library()


@register.filter
def response_time(value: timedelta | None) -> str:
    if value is None:
        return ""
    hours = value.total_seconds() / 3600
    if hours < 1:
        return "within an hour"
    if hours < 24:
        return f"within {int(hours) + 1} hours"
    days = int(hours // 24) + 1
    return f"within {days} days"


@register.simple_tag
def invitation_response_time_of(user: User) -> str:
    """'within 3 hours', or '' before the freelancer answered any invitation."""
    return response_time(invitation_response_time(freelancer=user))
