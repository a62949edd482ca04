"""Reads of offers, scoped to the user: an offer they are not a party to does not exist
for them."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from openlance.accounts.models import User
from openlance.contracts.models import Offer
from openlance.core.errors import NotFound, require_id


def offers_of(*, user: User, role: str | None = None, state: str | None = None) -> QuerySet[Offer]:
    """Offers the user sent (`role="client"`), received (`"freelancer"`) or both."""
    if role == "client":
        scope = Q(client=user)
    elif role == "freelancer":
        scope = Q(freelancer=user)
    else:
        scope = Q(client=user) | Q(freelancer=user)
    offers = Offer.objects.filter(scope).select_related("job", "client", "freelancer", "contract")
    if state:
        offers = offers.filter(state=state)
    return offers.prefetch_related("milestones")


def offer_of(*, user: User, offer_id: int) -> Offer:
    offer = offers_of(user=user).filter(pk=require_id(offer_id, "offer")).first()
    if offer is None:
        raise NotFound("No such offer.")
    return offer
