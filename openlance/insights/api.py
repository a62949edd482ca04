from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from openlance.accounts.models import User
from openlance.core import clock
from openlance.core.apitools import AMOUNT_PATTERN, MoneyOut
from openlance.core.errors import InvalidInput, NotFound, require_id
from openlance.core.money import Money
from openlance.core.problems import problems
from openlance.insights.gigmath import Bid, GigMath, gig_math
from openlance.insights.selectors import client_signals
from openlance.proposals.selectors import job_for_freelancer
from openlance.reviews.api import ReviewOut, overall_text, review_out

router = Router(tags=["profiles"])
gigmath_router = Router(tags=["insights"])

# ASCII digits only ([0-9], not \d, which pydantic reads as any Unicode digit).
HOURS = r"^[0-9]{1,5}(\.[0-9]{1,2})?$"


class ClientSignalsOut(Schema):
    user_id: int
    name: str
    country: str
    city: str
    member_since: datetime
    payment_method_verified: bool
    total_spent: MoneyOut
    hires: int
    hire_rate_percent: int | None
    open_jobs: int
    jobs_posted: int
    average_hourly_rate_paid: MoneyOut | None
    total_hours_paid: int | None
    rating: str | None = Field(
        pattern=r"^[1-5]\.[0-9]{2}$",
        examples=["4.62"],
        description="Freelancers' revealed overall ratings weighted by what each contract "
        "paid the freelancer, to two decimals (a decimal string); null (no rating yet) until "
        "a rated contract has paid something.",
    )
    rated_contracts: int = Field(description="The paid contracts the rating is made of.")
    reviews: list[ReviewOut] = Field(
        description="Freelancers' latest revealed feedback on the client (all of it: "
        "GET /api/v1/clients/{user_id}/reviews)."
    )


@router.get(
    "/clients/{user_id}", response=ClientSignalsOut, auth=None, summary="A client's vetting signals"
)
def client_detail(request: HttpRequest, user_id: int) -> ClientSignalsOut:
    """What freelancers use to vet a client. Null fields are "none yet", not zero."""
    client = User.objects.filter(pk=user_id, is_client=True, is_active=True).first()
    if client is None:
        raise NotFound("No such client.")
    signals = client_signals(client=client)
    return ClientSignalsOut(
        user_id=client.pk,
        name=signals.name,
        country=signals.country,
        city=signals.city,
        member_since=signals.member_since,
        payment_method_verified=signals.payment_method_verified,
        total_spent=MoneyOut.of(signals.total_spent),
        hires=signals.hires,
        hire_rate_percent=signals.hire_rate_percent,
        open_jobs=signals.open_jobs,
        jobs_posted=signals.jobs_posted,
        average_hourly_rate_paid=(
            MoneyOut.of(signals.average_hourly_rate_paid)
            if signals.average_hourly_rate_paid
            else None
        ),
        total_hours_paid=signals.total_hours_paid,
        rating=overall_text(signals.rating) if signals.rating is not None else None,
        rated_contracts=signals.rated_contracts,
        reviews=[review_out(review) for review in signals.reviews],
    )


class GigMathQuery(Schema):
    job_id: int | None = Field(default=None, description="A job post you can see.")
    client_id: int | None = Field(
        default=None, description="Freehand bids: the client, for your billings with them."
    )
    bid_type: Literal["fixed", "hourly"]
    bid_amount: str | None = Field(
        default=None, pattern=AMOUNT_PATTERN, examples=["600.00"], description="Fixed bids."
    )
    hourly_rate: str | None = Field(
        default=None, pattern=AMOUNT_PATTERN, examples=["40.00"], description="Hourly bids."
    )
    work_hours: str = Field(pattern=HOURS, examples=["20"])
    pitch_hours: str = Field(default="1", pattern=HOURS, examples=["1"])


class FeeTierOut(Schema):
    lower: MoneyOut
    upper: MoneyOut | None
    rate_percent: str
    amount: MoneyOut
    fee: MoneyOut


class GigMathConnectsOut(Schema):
    count: int
    free_because_invited: bool
    price_each: MoneyOut
    value: MoneyOut


class HireRateOut(Schema):
    hires: int
    proposals_sent: int
    rate_percent: str
    assumed: bool = Field(
        description="True while you have sent too few proposals; the default rate is used."
    )


class GigMathOut(Schema):
    bid_type: Literal["fixed", "hourly"]
    bid_amount: MoneyOut | None
    hourly_rate: MoneyOut | None
    work_hours: str
    pitch_hours: str
    gross: MoneyOut
    lifetime_billed_before: MoneyOut
    fee_schedule: str
    fee_tiers: list[FeeTierOut]
    service_fee: MoneyOut
    net: MoneyOut
    client_marketplace_fee: MoneyOut
    client_contract_initiation_fee: MoneyOut
    client_total: MoneyOut
    effective_hourly_rate: MoneyOut
    connects: GigMathConnectsOut
    pitch_time_value: MoneyOut | None
    pitch_cost: MoneyOut
    hire_rate: HireRateOut
    expected_value: MoneyOut
    minimum_hourly_rate: MoneyOut | None
    verdict: Literal["above", "below", "no_minimum"]


def _money(money: Money | None) -> MoneyOut | None:
    return None if money is None else MoneyOut.of(money)


def _gig_math_out(math: GigMath) -> GigMathOut:
    hourly = math.bid.type == "hourly"
    return GigMathOut(
        bid_type=math.bid.type,
        bid_amount=None if hourly else MoneyOut.of(math.bid.amount),
        hourly_rate=MoneyOut.of(math.bid.amount) if hourly else None,
        work_hours=str(math.work_hours),
        pitch_hours=str(math.pitch_hours),
        gross=MoneyOut.of(math.gross),
        lifetime_billed_before=MoneyOut.of(math.billed_before),
        fee_schedule=math.fee_schedule,
        fee_tiers=[
            FeeTierOut(
                lower=MoneyOut.of(tier.lower),
                upper=_money(tier.upper),
                rate_percent=str(tier.rate_percent),
                amount=MoneyOut.of(tier.amount),
                fee=MoneyOut.of(tier.fee),
            )
            for tier in math.fee_tiers
        ],
        service_fee=MoneyOut.of(math.service_fee),
        net=MoneyOut.of(math.net),
        client_marketplace_fee=MoneyOut.of(math.client_marketplace_fee),
        client_contract_initiation_fee=MoneyOut.of(math.client_initiation_fee),
        client_total=MoneyOut.of(math.client_total),
        effective_hourly_rate=MoneyOut.of(math.effective_hourly_rate),
        connects=GigMathConnectsOut(
            count=math.connects,
            free_because_invited=math.connects_free_invited,
            price_each=MoneyOut.of(math.connect_price),
            value=MoneyOut.of(math.connects_value),
        ),
        pitch_time_value=_money(math.pitch_time_value),
        pitch_cost=MoneyOut.of(math.pitch_cost),
        hire_rate=HireRateOut(
            hires=math.hires,
            proposals_sent=math.proposals_sent,
            rate_percent=str(math.hire_rate_percent),
            assumed=math.hire_rate_assumed,
        ),
        expected_value=MoneyOut.of(math.expected_value),
        minimum_hourly_rate=_money(math.minimum_hourly_rate),
        verdict=math.verdict,
    )


@gigmath_router.get(
    "/insights/gig-math",
    response=GigMathOut,
    summary="Gig math for a bid",
    openapi_extra=problems(404),
)
def gig_math_get(request: HttpRequest, query: Query[GigMathQuery]) -> GigMathOut:
    """What a bid is worth to you before you pitch it (SPEC §13.1): fees per tier, client
    fees, net, effective hourly rate, the cost of pitching, the expected value of sending,
    and a verdict against your minimum hourly rate. Give `job_id` for a post (its client and
    Connects cost follow), or `client_id` (or neither) for a freehand bid."""
    user = request.user
    assert isinstance(user, User)
    job = None if query.job_id is None else job_for_freelancer(job_id=query.job_id, viewer=user)
    client = None
    if job is None and query.client_id is not None:
        require_id(query.client_id, "client")
        client = User.objects.filter(pk=query.client_id, is_client=True, is_active=True).first()
        if client is None:
            raise NotFound("No such client.")
    amount = query.hourly_rate if query.bid_type == "hourly" else query.bid_amount
    if amount is None:
        field = "hourly_rate" if query.bid_type == "hourly" else "bid_amount"
        raise InvalidInput("The bid is missing.", field_errors={field: ["Enter your bid."]})
    money = Money.parse(amount)
    math = gig_math(
        freelancer=user,
        job=job,
        client=client,
        bid=Bid.hourly(money) if query.bid_type == "hourly" else Bid.fixed(money),
        pitch_hours=Decimal(query.pitch_hours),
        work_hours=Decimal(query.work_hours),
        now=clock.now(),
    )
    return _gig_math_out(math)
