"""Reads over disputes: a party sees the disputes of their contracts; a mediator sees all
(the queue, by deadline). Anyone else: 404."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from openlance.accounts.models import User
from openlance.accounts.selectors import is_mediator
from openlance.core.errors import NotFound, require_id
from openlance.disputes.models import OPEN_DISPUTE_STATES, Dispute


def disputes_for(*, user: User) -> QuerySet[Dispute]:
    """The user's disputes as a party; every dispute for a mediator."""
    disputes = Dispute.objects.select_related(
        "contract__client", "contract__freelancer", "milestone", "mediator"
    )
    if is_mediator(user=user):
        return disputes
    return disputes.filter(Q(contract__client=user) | Q(contract__freelancer=user))


def disputes_of_party(*, user: User) -> QuerySet[Dispute]:
    return Dispute.objects.select_related("contract", "milestone").filter(
        Q(contract__client=user) | Q(contract__freelancer=user)
    )


def dispute_for(*, user: User, dispute_id: int) -> Dispute:
    require_id(dispute_id, "dispute")
    dispute = disputes_for(user=user).filter(pk=dispute_id).first()
    if dispute is None:
        raise NotFound("There is no such dispute.")
    return dispute


def dispute_of_milestone(*, user: User, milestone_id: int) -> Dispute:
    """The milestone's latest dispute, for its contract's parties or a mediator."""
    require_id(milestone_id, "milestone")
    dispute = disputes_for(user=user).filter(milestone_id=milestone_id).first()
    if dispute is None:
        raise NotFound("There is no such dispute.")
    return dispute


def mediation_queue(*, mediator: User) -> QuerySet[Dispute]:
    """Open disputes the mediator may take (none of their own contracts), the nearest
    deadline first."""
    return (
        Dispute.objects.filter(state__in=OPEN_DISPUTE_STATES)
        .exclude(Q(contract__client=mediator) | Q(contract__freelancer=mediator))
        .select_related("contract__client", "contract__freelancer", "milestone", "mediator")
        .order_by("respond_by", "id")
    )
