"""What pages of other apps show of feedback, by name (`{% load reviews %}`): the layers
below reviews (profiles) and beside it (contracts) render these without importing reviews."""

from __future__ import annotations

from typing import Any

from django import template

from openlance.accounts.models import User
from openlance.reviews.models import FEEDBACK_WINDOW
from openlance.reviews.selectors import work_history as work_history_of

register = template.Library()


@register.simple_tag
def feedback_window_days() -> int:
    """How many days both sides have to leave feedback once a contract ends."""
    return FEEDBACK_WINDOW.days


@register.inclusion_tag("reviews/_work_history.html")
def work_history(freelancer: User) -> dict[str, Any]:
    """The first page of a freelancer's work history, for their profile. The profile shows
    it only where its visibility lets the viewer see the whole profile; the later pages come
    from /freelancers/<id>/reviews/, which applies the same rule itself."""
    return {"history": work_history_of(freelancer=freelancer)}
