"""What a proposal costs in Connects under a policy (SPEC §5, §16)."""

from __future__ import annotations

from typing import Protocol

from openlance.core.policies import ConnectsPolicy, FlatProposalCost


class PricedJob(Protocol):
    budget_type: str
    budget_cents: int | None
    hourly_min_cents: int | None
    hourly_max_cents: int | None
    duration: str


def expected_job_value_cents(*, job: PricedJob, policy: ConnectsPolicy) -> int:
    """The fixed budget; for hourly posts the middle of the rate range times the hours the
    policy assumes for the post's duration."""
    if job.budget_type == "fixed":
        return int(job.budget_cents or 0)
    low = int(job.hourly_min_cents or 0)
    high = int(job.hourly_max_cents or low)
    hours = getattr(policy.hours_by_duration, job.duration)
    # Integer midpoint, half-up: (low + high) / 2 to the cent.
    return (low + high + 1) // 2 * hours


def proposal_cost(*, job: PricedJob, policy: ConnectsPolicy) -> int:
    cost = policy.proposal_cost
    if isinstance(cost, FlatProposalCost):
        return cost.connects
    value = expected_job_value_cents(job=job, policy=policy)
    for tier in cost.tiers:
        if value < tier.below_cents:
            return tier.connects
    return cost.otherwise
