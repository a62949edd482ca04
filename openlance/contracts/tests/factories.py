"""Offers and contracts made through the services, so they start like real ones: a post,
a proposal moved to offer and hired, the fee policy of the day on the contract."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from openlance.accounts.models import User
from openlance.contracts.models import Contract, ContractKind, Offer
from openlance.contracts.offers.services import MilestoneTerms, OfferTerms, offer_accept, offer_send
from openlance.core import clock
from openlance.jobs.models import JobPost
from openlance.jobs.tests.factories import job_client, job_post
from openlance.proposals.models import Proposal
from openlance.proposals.tests.factories import funded_freelancer
from openlance.proposals.tests.factories import proposal as make_proposal


def fixed_terms(
    amounts: Sequence[int] = (50_000,),
    *,
    title: str = "Build the website",
    criteria: Sequence[str] = ("Pages render on phones", "Contact form sends email"),
    keep_post_open: bool = False,
    start_date: date | None = None,
) -> OfferTerms:
    """Fixed-price terms with one milestone per amount (in cents), due a week apart."""
    start = start_date or clock.now().date()
    return OfferTerms(
        kind=ContractKind.FIXED,
        title=title,
        start_date=start,
        description="A small website with a contact form.",
        milestones=[
            MilestoneTerms(
                description=f"Milestone {position}",
                amount_cents=amount,
                due_date=start + timedelta(days=7 * position),
                criteria=list(criteria),
            )
            for position, amount in enumerate(amounts, start=1)
        ],
        keep_post_open=keep_post_open,
        message="Looking forward to working with you.",
    )


def hourly_terms(
    *, rate_cents: int = 4_000, weekly_limit_hours: int = 20, manual_time_allowed: bool = True
) -> OfferTerms:
    return OfferTerms(
        kind=ContractKind.HOURLY,
        title="Ongoing development",
        start_date=clock.now().date(),
        hourly_rate_cents=rate_cents,
        weekly_limit_hours=weekly_limit_hours,
        manual_time_allowed=manual_time_allowed,
    )


def offer(
    *,
    terms: OfferTerms | None = None,
    proposal: Proposal | None = None,
    job: JobPost | None = None,
    client: User | None = None,
    freelancer: User | None = None,
    direct: bool = False,
) -> Offer:
    """A pending offer. From a proposal (made for a new freelancer with Connects if not
    given); a given `freelancer` (any user with a freelancer profile) or `direct` gets it
    straight on `job`, without a proposal."""
    if proposal is None:
        job = job or job_post(client=client or job_client())
        direct = direct or freelancer is not None
        freelancer = freelancer or funded_freelancer()
        if not direct:
            proposal = make_proposal(job=job, freelancer=freelancer)
    client = proposal.job.client if proposal is not None else job.client  # type: ignore[union-attr]
    return offer_send(
        client=client,
        terms=terms or fixed_terms(),
        proposal=proposal,
        job=None if proposal is not None else job,
        freelancer=None if proposal is not None else freelancer,
    )


def contract_fixed(
    amounts: Sequence[int] = (50_000,),
    *,
    client: User | None = None,
    freelancer: User | None = None,
    job: JobPost | None = None,
    criteria: Sequence[str] = ("Pages render on phones", "Contact form sends email"),
    keep_post_open: bool = False,
) -> Contract:
    """An active fixed-price contract with one not-funded milestone per amount (cents),
    started by a client's offer on a proposal and the freelancer's acceptance."""
    pending = offer(
        terms=fixed_terms(amounts, criteria=criteria, keep_post_open=keep_post_open),
        job=job,
        client=client,
        freelancer=freelancer,
    )
    return offer_accept(freelancer=pending.freelancer, offer=pending, revision=pending.revision)


def contract_hourly(
    *, client: User | None = None, freelancer: User | None = None, rate_cents: int = 4_000
) -> Contract:
    pending = offer(
        terms=hourly_terms(rate_cents=rate_cents),
        job=job_post(client=client or job_client(), budget_type="hourly"),
        freelancer=freelancer,
    )
    return offer_accept(freelancer=pending.freelancer, offer=pending, revision=pending.revision)
