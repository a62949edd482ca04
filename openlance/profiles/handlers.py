"""Reactions of profiles to events, delivered by the outbox worker: keep the search copies
on `Profile` in step with the owner's fields that accounts writes, and send the notices
that profile rules owe their owners."""

from __future__ import annotations

from openlance.core.mail import notify
from openlance.core.models import NotificationTopic, OutboxEvent
from openlance.core.services import event_handler
from openlance.profiles.models import Freelancer
from openlance.profiles.services import profile_search_fields_sync


def _sync_owner_of(event: OutboxEvent) -> None:
    freelancer = Freelancer.objects.filter(user_id=event.payload["user_id"]).first()
    if freelancer is not None:
        profile_search_fields_sync(freelancer=freelancer)


@event_handler("verification.approved")
def copy_verified_country(event: OutboxEvent) -> None:
    """A verified location lets the freelancer's profiles match country filters."""
    _sync_owner_of(event)


@event_handler("accounts.freelancer_joined")
def list_a_returning_freelancer_again(event: OutboxEvent) -> None:
    """Taking the freelancer role up again brings back the profiles' own visibility, which
    search ignored while the role was given up."""
    _sync_owner_of(event)


@event_handler("accounts.freelancer_left")
def unlist_a_departed_freelancer(event: OutboxEvent) -> None:
    """Giving the freelancer role up takes the profiles out of search (their own visibility
    setting is kept for a return)."""
    _sync_owner_of(event)


@event_handler("profile.made_private")
def tell_the_freelancer_their_profile_is_private(event: OutboxEvent) -> None:
    freelancer = (
        Freelancer.objects.select_related("user").filter(pk=event.payload["freelancer_id"]).first()
    )
    if freelancer is None:
        return
    period = "90 days since you joined" if event.payload["reason"] == "new" else "two years"
    notify(
        freelancer.user,
        topic=NotificationTopic.ACCOUNT,
        subject="Your profile is now private",
        body=f"Your freelancer profile had no earnings in {period}, so we switched it to "
        "private: it no longer appears in search. Making it public again is one click.",
        link_label="Your profile",
        path="/profile/edit/",
    )
