"""What sending a proposal to a post costs this freelancer now (SPEC §5): the policy's
price, or nothing when they are answering an invitation."""

from __future__ import annotations

from dataclasses import dataclass

from openlance.accounts.models import User
from openlance.connects.pricing import proposal_cost
from openlance.connects.selectors import connects_balance
from openlance.core import clock
from openlance.core.policies import connects_policy_at
from openlance.jobs.models import JobPost
from openlance.proposals.selectors import invitation_for


@dataclass(frozen=True)
class ProposalQuote:
    cost: int
    balance: int
    invited: bool
    policy_cost: int

    @property
    def affordable(self) -> bool:
        return self.cost <= self.balance

    @property
    def balance_after(self) -> int:
        return self.balance - self.cost


def proposal_quote(*, job: JobPost, freelancer: User) -> ProposalQuote:
    policy_cost = proposal_cost(job=job, policy=connects_policy_at(clock.now()))
    invited = invitation_for(job=job, freelancer=freelancer) is not None
    return ProposalQuote(
        cost=0 if invited else policy_cost,
        balance=connects_balance(user=freelancer),
        invited=invited,
        policy_cost=policy_cost,
    )
