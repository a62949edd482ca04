"""What the dashboard shows each side (issue 15): activity to act on rather than links. A
freelancer: active contracts, milestones to work on, offers and invitations waiting, what
they earned in the last 30 days, and jobs that match their skills. A client: open posts with
their proposals, milestones to fund or review, and active contracts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from openlance.accounts.models import User
from openlance.billing.wallet import net_earned_since
from openlance.contracts.models import ContractState, OfferState
from openlance.contracts.offers.selectors import offers_of
from openlance.contracts.selectors import contracts_for, milestones_to_act_on
from openlance.core import clock
from openlance.jobs.search import JobSearchParams, JobSort, search_jobs
from openlance.profiles.selectors import general_skill_ids
from openlance.proposals.models import InvitationState
from openlance.proposals.selectors import invitations_of_freelancer, open_jobs_of_client

SHOWN = 5
RECENT_EARNINGS = timedelta(days=30)


def freelancer_activity(user: User) -> dict[str, Any]:
    skill_ids = general_skill_ids(user=user)
    recommended = (
        search_jobs(
            viewer=user,
            params=JobSearchParams(skill_ids=skill_ids, sort=JobSort.NEWEST, page_size=SHOWN),
        ).items
        if skill_ids
        else []
    )
    return {
        "active_contracts": list(
            contracts_for(user=user, role="freelancer", state=ContractState.ACTIVE)[:SHOWN]
        ),
        "milestones_due": list(milestones_to_act_on(user=user, role="freelancer")[:SHOWN]),
        "offers_waiting": list(
            offers_of(user=user, role="freelancer", state=OfferState.PENDING)[:SHOWN]
        ),
        "invitations_waiting": list(
            invitations_of_freelancer(freelancer=user, state=InvitationState.PENDING)[:SHOWN]
        ),
        "earned_recently": net_earned_since(freelancer=user, since=clock.now() - RECENT_EARNINGS),
        "recommended_jobs": recommended,
    }


def client_activity(user: User) -> dict[str, Any]:
    return {
        "open_posts": list(open_jobs_of_client(client=user)[:SHOWN]),
        "milestones_to_act": list(milestones_to_act_on(user=user, role="client")[:SHOWN]),
        "client_contracts": list(
            contracts_for(user=user, role="client", state=ContractState.ACTIVE)[:SHOWN]
        ),
    }
