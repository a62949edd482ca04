"""Proposals and invitations sent through the services, so they are paid for and counted
like real ones. Each helper builds what it is not given: a post, a freelancer with a
profile and enough Connects."""

from __future__ import annotations

from collections.abc import Sequence

from openlance.accounts.models import User
from openlance.connects.models import LotSource
from openlance.connects.services import connects_grant
from openlance.jobs.models import JobPost
from openlance.jobs.tests.factories import job_post
from openlance.profiles.tests.factories import freelancer_with_profile
from openlance.proposals.models import Invitation, Proposal
from openlance.proposals.services import (
    MilestoneDraft,
    ProposalDraft,
    invitation_send,
    proposal_submit,
)


def funded_freelancer(*, connects: int = 40, **profile: object) -> User:
    """A freelancer with a public general profile and `connects` purchased Connects."""
    user = freelancer_with_profile(**profile).freelancer.user  # type: ignore[arg-type]
    if connects:
        connects_grant(
            user=user,
            units=connects,
            source=LotSource.PURCHASE,
            key=f"test:{user.pk}:grant",
            description="Test Connects",
        )
    return user


def draft_for(
    job: JobPost,
    *,
    profile_id: int | None = None,
    bid_cents: int | None = None,
    hourly_rate_cents: int | None = None,
    milestones: Sequence[MilestoneDraft] = (),
    answers: Sequence[str] | None = None,
    cover_letter: str = "I have built many sites like this and can start today.",
) -> ProposalDraft:
    """A valid draft for `job`: its budget as the bid, an answer to every question."""
    fixed = job.budget_type == "fixed"
    return ProposalDraft(
        profile_id=profile_id,
        cover_letter=cover_letter,
        bid_type=job.budget_type,
        duration=job.duration,
        bid_cents=(bid_cents or job.budget_cents) if fixed else None,
        hourly_rate_cents=None if fixed else (hourly_rate_cents or job.hourly_min_cents),
        milestones=list(milestones),
        answers=(
            list(answers)
            if answers is not None
            else [f"Answer {q.position}" for q in job.questions.order_by("position")]
        ),
    )


def proposal(
    *, job: JobPost | None = None, freelancer: User | None = None, **draft: object
) -> Proposal:
    job = job or job_post()
    freelancer = freelancer or funded_freelancer()
    return proposal_submit(
        freelancer=freelancer,
        job=job,
        draft=draft_for(job, **draft),  # type: ignore[arg-type]
    )


def invitation(
    *, job: JobPost | None = None, freelancer: User | None = None, message: str = "Hi!"
) -> Invitation:
    job = job or job_post()
    freelancer = freelancer or funded_freelancer(connects=0)
    return invitation_send(client=job.client, job=job, freelancer=freelancer, message=message)
