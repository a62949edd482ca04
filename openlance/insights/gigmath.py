"""Gig math (SPEC §13.1): what a bid is worth to the freelancer before they pitch it.

Pure computation over the policies in force and a few selectors; nothing is written.

Rounding: every amount is integer cents and every division rounds half-up to the cent once
(`round_half_up_div`), from exact integers, so the same inputs always give the same cents:
- an hourly bid's amount is rate x work hours;
- the effective hourly rate is net / (pitch hours + work hours);
- the expected value uses the hire rate as the exact fraction hires / sent.
Percentages shown (tier rates, the hire rate) are Decimals with two places, half-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from openlance.accounts.models import User
from openlance.billing import fees
from openlance.billing.selectors import lifetime_billings
from openlance.connects.pricing import PricedJob, proposal_cost
from openlance.core.errors import InvalidInput
from openlance.core.money import Money, round_half_up_div
from openlance.core.policies import connects_policy_at, fee_policy_at
from openlance.jobs.models import BudgetType, Duration, JobPost
from openlance.jobs.services import MAXIMUM_BUDGET_CENTS, MINIMUM_FIXED_CENTS, MINIMUM_HOURLY_CENTS
from openlance.profiles.models import Freelancer
from openlance.proposals import selectors as proposal_selectors
from openlance.proposals.models import MAX_PITCH_HOURS, MAX_WORK_HOURS

BidType = Literal["fixed", "hourly"]
Verdict = Literal["above", "below", "no_minimum"]

# Until a freelancer has sent this many proposals their own hire rate says too little, so
# gig math assumes the default instead (and says so).
HIRE_RATE_MIN_PROPOSALS = 10
DEFAULT_HIRE_RATE_PERCENT = 10

DEFAULT_PITCH_HOURS = Decimal("1")
# Any bid a proposal may carry has its gig math (SPEC §6): the same limits as the posts'.
MIN_FIXED_BID = Money(MINIMUM_FIXED_CENTS)
MAX_FIXED_BID = Money(MAXIMUM_BUDGET_CENTS)
MIN_HOURLY_RATE = Money(MINIMUM_HOURLY_CENTS)
MAX_HOURLY_RATE = Money(MAXIMUM_BUDGET_CENTS)
HUNDREDTH = Decimal("0.01")


@dataclass(frozen=True)
class Bid:
    """A fixed amount for the whole job, or an hourly rate (times the work hours)."""

    type: BidType
    amount: Money

    @classmethod
    def fixed(cls, amount: Money) -> Bid:
        return cls("fixed", amount)

    @classmethod
    def hourly(cls, rate: Money) -> Bid:
        return cls("hourly", rate)


@dataclass(frozen=True)
class FeeTierLine:
    lower: Money
    upper: Money | None
    rate_percent: Decimal
    amount: Money
    fee: Money


@dataclass(frozen=True)
class GigMath:
    bid: Bid
    work_hours: Decimal
    pitch_hours: Decimal
    gross: Money
    billed_before: Money
    fee_tiers: list[FeeTierLine]
    service_fee: Money
    net: Money
    client_marketplace_fee: Money
    client_initiation_fee: Money
    client_total: Money
    effective_hourly_rate: Money
    connects: int
    connects_free_invited: bool
    connect_price: Money
    connects_value: Money
    pitch_time_value: Money | None
    pitch_cost: Money
    hires: int
    proposals_sent: int
    hire_rate_percent: Decimal
    hire_rate_assumed: bool
    expected_value: Money
    minimum_hourly_rate: Money | None
    verdict: Verdict
    fee_schedule: str


@dataclass
class _BidAsJob:
    """A stand-in post priced like the bid, for the Connects cost of a freehand bid."""

    budget_cents: int | None
    budget_type: str = BudgetType.FIXED
    hourly_min_cents: int | None = None
    hourly_max_cents: int | None = None
    duration: str = Duration.LESS_THAN_1_MONTH


def _hundredths(hours: Decimal) -> int:
    return int(hours * 100)


def _percent(numerator: int, denominator: int) -> Decimal:
    return (Decimal(100 * numerator) / Decimal(denominator)).quantize(
        HUNDREDTH, rounding=ROUND_HALF_UP
    )


def _check(
    *, bid: Bid, pitch_hours: Decimal, work_hours: Decimal, job: JobPost | None, client: User | None
) -> None:
    errors: dict[str, list[str]] = {}
    if bid.type == "fixed" and not MIN_FIXED_BID <= bid.amount <= MAX_FIXED_BID:
        errors["bid_amount"] = [f"Bid between {MIN_FIXED_BID} and {MAX_FIXED_BID}."]
    if bid.type == "hourly" and not MIN_HOURLY_RATE <= bid.amount <= MAX_HOURLY_RATE:
        errors["hourly_rate"] = [f"Bid between {MIN_HOURLY_RATE} and {MAX_HOURLY_RATE} an hour."]
    if bid.type not in ("fixed", "hourly"):
        errors["bid_type"] = ["Choose a fixed price or an hourly rate."]
    for field, hours, most, least in (
        ("work_hours", work_hours, MAX_WORK_HOURS, HUNDREDTH),
        ("pitch_hours", pitch_hours, MAX_PITCH_HOURS, Decimal(0)),
    ):
        if not hours.is_finite() or hours != hours.quantize(HUNDREDTH):
            errors[field] = ["Hours with at most two decimals, like 1.5."]
        elif not least <= hours <= most:
            errors[field] = [f"Between {least.normalize()} and {most.normalize()} hours."]
    if job is not None and client is not None and job.client_id != client.pk:
        errors["client_id"] = ["The job belongs to another client."]
    if errors:
        raise InvalidInput("The gig math needs a few corrections.", field_errors=errors)


def _hire_rate(*, freelancer: User) -> tuple[int, int, bool]:
    """(hires, sent, assumed): the freelancer's record, or the default as 10 of 100 when
    their record is shorter than HIRE_RATE_MIN_PROPOSALS."""
    hires, sent = proposal_selectors.proposal_hire_rate(freelancer=freelancer)
    if sent < HIRE_RATE_MIN_PROPOSALS:
        return hires, sent, True
    return hires, sent, False


def gig_math(
    *,
    freelancer: User,
    job: JobPost | None,
    client: User | None,
    bid: Bid,
    pitch_hours: Decimal = DEFAULT_PITCH_HOURS,
    work_hours: Decimal,
    now: datetime,
) -> GigMath:
    """The numbers for pitching `bid` to `job` (or freehand, to `client` or to a new client).

    - Lifetime billings with the client move the fee tiers; with no client known they are 0.
    - A proposal always starts a new contract, so the client's initiation fee is included.
    - The Connects cost is the job's (free when the freelancer is invited to it); with no job
      it is what a post whose value equals the bid would cost.
    - Cost of pitching = Connects value + pitch hours valued at the freelancer's minimum
      hourly rate; with no minimum set the time is left unpriced (pitch_time_value None).
    - Expected value of sending = hire rate x net - Connects value (the Connects are spent
      whether or not the proposal wins).
    - Verdict: the effective hourly rate against the minimum; meeting it exactly is "above".
    """
    _check(bid=bid, pitch_hours=pitch_hours, work_hours=work_hours, job=job, client=client)
    if job is not None:
        client = job.client
    fee_policy = fee_policy_at(now)
    connects_policy = connects_policy_at(now)

    if bid.type == "hourly":
        gross = Money(round_half_up_div(bid.amount.cents * _hundredths(work_hours), 100))
    else:
        gross = bid.amount
    billed_before = (
        lifetime_billings(freelancer=freelancer, client=client) if client else Money.zero()
    )
    fee = fees.freelancer_fee(
        fee_policy.freelancer_fee, amount_cents=gross.cents, billed_before_cents=billed_before.cents
    )
    client_side = fees.client_fees(
        fee_policy, amount_cents=gross.cents, first_payment_of_contract=True
    )
    net = Money(fee.net_cents)

    total_hundredths = _hundredths(work_hours) + _hundredths(pitch_hours)
    effective = Money(round_half_up_div(net.cents * 100, total_hundredths))

    invited = job is not None and (
        proposal_selectors.invitation_for(job=job, freelancer=freelancer) is not None
    )
    priced: PricedJob = job if job is not None else _BidAsJob(budget_cents=gross.cents)
    connects = 0 if invited else proposal_cost(job=priced, policy=connects_policy)
    connect_price = Money(connects_policy.connect_price_cents)
    connects_value = Money(connects * connect_price.cents)

    profile = Freelancer.objects.filter(user=freelancer).only("minimum_hourly_rate_cents").first()
    minimum_cents = profile.minimum_hourly_rate_cents if profile else None
    minimum = None if minimum_cents is None else Money(minimum_cents)
    pitch_time_value = (
        None
        if minimum is None
        else Money(round_half_up_div(minimum.cents * _hundredths(pitch_hours), 100))
    )

    hires, sent, assumed = _hire_rate(freelancer=freelancer)
    rate_num, rate_den = (DEFAULT_HIRE_RATE_PERCENT, 100) if assumed else (hires, sent)
    expected = Money(round_half_up_div(net.cents * rate_num, rate_den)) - connects_value

    verdict: Verdict = (
        "no_minimum" if minimum is None else "above" if effective >= minimum else "below"
    )
    return GigMath(
        bid=bid,
        work_hours=work_hours,
        pitch_hours=pitch_hours,
        gross=gross,
        billed_before=billed_before,
        fee_tiers=[
            FeeTierLine(
                lower=Money(tier.lower_cents),
                upper=None if tier.upper_cents is None else Money(tier.upper_cents),
                rate_percent=_percent(tier.rate_bp, 10_000),
                amount=Money(tier.amount_cents),
                fee=Money(tier.fee_cents),
            )
            for tier in fee.tiers
        ],
        service_fee=Money(fee.fee_cents),
        net=net,
        client_marketplace_fee=Money(client_side.marketplace_fee_cents),
        client_initiation_fee=Money(client_side.initiation_fee_cents),
        client_total=Money(client_side.total_charged_cents),
        effective_hourly_rate=effective,
        connects=connects,
        connects_free_invited=invited,
        connect_price=connect_price,
        connects_value=connects_value,
        pitch_time_value=pitch_time_value,
        pitch_cost=connects_value + (pitch_time_value or Money.zero()),
        hires=hires,
        proposals_sent=sent,
        hire_rate_percent=_percent(rate_num, rate_den),
        hire_rate_assumed=assumed,
        expected_value=expected,
        minimum_hourly_rate=minimum,
        verdict=verdict,
        fee_schedule=fee_policy.freelancer_fee.type,
    )
