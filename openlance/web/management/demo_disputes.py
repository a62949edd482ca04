"""The demo's disputes (SPEC §9), each on a fixed-price contract of its own, played through
the services at past dates: one still waiting for the freelancer's response (in the
mediators' queue, its escrow frozen), and one settled by a mediator's split both sides
accepted (the freelancer's share released with the fee, the rest refunded)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils.text import slugify

from openlance.accounts.models import User
from openlance.contracts.milestones.funding import milestone_fund
from openlance.contracts.milestones.submissions import milestone_submit
from openlance.contracts.models import Contract, ContractKind
from openlance.contracts.offers.services import (
    MilestoneTerms,
    OfferTerms,
    offer_accept,
    offer_send,
)
from openlance.core import clock
from openlance.disputes.services import (
    dispute_open,
    dispute_proposal_answer,
    dispute_propose,
    dispute_respond,
)
from openlance.jobs.models import BudgetType, JobPost
from openlance.jobs.services import JobDraft, job_create


@dataclass(frozen=True)
class DisputeStory:
    title: str
    description: str
    milestone: str
    amount_cents: int
    days_ago: int
    settled: bool


OPEN = DisputeStory(
    title="Logo and brand guide for a bakery",
    description=(
        "A logo, a colour palette and a one-page brand guide for our neighbourhood bakery. "
        "We want something warm and hand-drawn that works on bags and on the shop sign."
    ),
    milestone="Logo in three variants and the brand guide",
    amount_cents=45_000,
    days_ago=3,
    settled=False,
)
SETTLED = DisputeStory(
    title="Product photo retouching, 120 images",
    description=(
        "Retouch 120 product photos for our catalogue: white background, consistent shadows "
        "and colour, web and print sizes. The photos are ready in a shared folder."
    ),
    milestone="All 120 photos retouched in both sizes",
    amount_cents=60_000,
    days_ago=40,
    settled=True,
)


def story_exists(story: DisputeStory) -> bool:
    return JobPost.objects.filter(title=story.title).exists()


def _hired(client: User, freelancer: User, story: DisputeStory, now: datetime) -> Contract:
    start = now - timedelta(days=story.days_ago + 12)
    with clock.frozen_at(start):
        job = job_create(
            client=client,
            draft=JobDraft(
                title=story.title,
                description=story.description,
                category_slug=slugify("Design & Creative"),
                size="small",
                duration="less_than_1_month",
                experience_level="intermediate",
                budget_type=BudgetType.FIXED,
                budget_cents=story.amount_cents,
            ),
            publish=True,
        )
        offer = offer_send(
            client=client,
            job=job,
            freelancer=freelancer,
            terms=OfferTerms(
                kind=ContractKind.FIXED,
                title=story.title,
                start_date=(start + timedelta(days=1)).date(),
                description=story.description,
                milestones=[
                    MilestoneTerms(
                        description=story.milestone,
                        amount_cents=story.amount_cents,
                        due_date=_due(start),
                        criteria=["Delivered in the agreed formats"],
                    )
                ],
                message=f"Hi {freelancer.first_name}, happy to work with you on this.",
            ),
        )
    with clock.frozen_at(start + timedelta(hours=6)):
        contract = offer_accept(freelancer=freelancer, offer=offer, revision=offer.revision)
    milestone = contract.milestones.get()
    with clock.frozen_at(start + timedelta(days=1)):
        milestone_fund(client=client, milestone=milestone, payment_method="pm_card_visa")
    with clock.frozen_at(start + timedelta(days=8)):
        milestone_submit(
            freelancer=freelancer,
            milestone=milestone,
            message="Here is the finished work, in every format we agreed on.",
            criteria_met=list(milestone.criteria.values_list("pk", flat=True)),
        )
    return contract


def _due(start: datetime) -> date:
    return (start + timedelta(days=10)).date()


def play_disputes(
    cast: list[tuple[DisputeStory, User, User]], mediator: User, now: datetime
) -> int:
    """Play each (story, client, freelancer); returns how many disputes it opened."""
    for story, client, freelancer in cast:
        contract = _hired(client, freelancer, story, now)
        milestone = contract.milestones.get()
        opened_at = now - timedelta(days=story.days_ago)
        with clock.frozen_at(opened_at):
            dispute = dispute_open(
                user=client,
                milestone=milestone,
                reason="The work does not match the brief we agreed on; we would like the "
                "escrow back.",
            )
        if not story.settled:
            continue
        with clock.frozen_at(opened_at + timedelta(days=2)):
            dispute = dispute_respond(
                user=freelancer,
                dispute=dispute,
                response="90 of the 120 photos were delivered as agreed; the last 30 came "
                "late in the folder.",
            )
        with clock.frozen_at(opened_at + timedelta(days=6)):
            dispute = dispute_propose(
                mediator=mediator,
                dispute=dispute,
                freelancer_cents=story.amount_cents * 3 // 4,
                note="Three quarters of the photos were delivered as the brief asked.",
            )
        with clock.frozen_at(opened_at + timedelta(days=7)):
            read = dispute.proposal_revision
            dispute = dispute_proposal_answer(
                user=client, dispute=dispute, accept=True, revision=read
            )
            dispute_proposal_answer(user=freelancer, dispute=dispute, accept=True, revision=read)
    return len(cast)
