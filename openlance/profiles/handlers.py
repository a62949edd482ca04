"""Reactions of profiles to events of lower layers, delivered by the outbox worker: keep the
search copies on `Profile` in step with the owner's fields that accounts writes."""

from __future__ import annotations

from openlance.core.models import OutboxEvent
from openlance.core.services import event_handler
from openlance.profiles.models import Freelancer
from openlance.profiles.services import profile_search_fields_sync


@event_handler("verification.approved")
def copy_verified_country(event: OutboxEvent) -> None:
    """A verified location lets the freelancer's profiles match country filters."""
    freelancer = Freelancer.objects.filter(user_id=event.payload["user_id"]).first()
    if freelancer is not None:
        profile_search_fields_sync(freelancer=freelancer)
