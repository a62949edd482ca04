"""The fee engine (SPEC §8.2, §8.3). Pure functions of a policy and integer cents.

The freelancer fee on a payment is fee(billed_after) - fee(billed_before), where fee(x) is
the cumulative tiered fee on lifetime billings x, rounded half-up to the cent once. Fees on
any split of a sum therefore add up to the fee on the sum: no rounding drift, ever.
"""

from __future__ import annotations

from dataclasses import dataclass

from openlance.core.money import round_half_up_div
from openlance.core.policies import (
    FeePolicy,
    FeeTier,
    FlatSchedule,
    FreelancerFeeSchedule,
    PerContractSchedule,
    SlidingSchedule,
)

BASIS = 10_000


@dataclass(frozen=True)
class TierSlice:
    lower_cents: int
    upper_cents: int | None
    rate_bp: int
    amount_cents: int
    fee_cents: int


@dataclass(frozen=True)
class FreelancerFee:
    amount_cents: int
    billed_before_cents: int
    fee_cents: int
    tiers: list[TierSlice]

    @property
    def net_cents(self) -> int:
        return self.amount_cents - self.fee_cents

    @property
    def billed_after_cents(self) -> int:
        return self.billed_before_cents + self.amount_cents


@dataclass(frozen=True)
class ClientFees:
    amount_cents: int
    marketplace_fee_cents: int
    initiation_fee_cents: int

    @property
    def total_charged_cents(self) -> int:
        return self.amount_cents + self.marketplace_fee_cents + self.initiation_fee_cents


def _tiers(schedule: FreelancerFeeSchedule) -> list[FeeTier]:
    if isinstance(schedule, SlidingSchedule):
        return list(schedule.tiers)
    assert isinstance(schedule, FlatSchedule | PerContractSchedule)
    return [FeeTier(up_to_cents=None, rate_bp=schedule.rate_bp)]


def cumulative_fee_cents(schedule: FreelancerFeeSchedule, billed_cents: int) -> int:
    """fee(x): the tiered fee on the first x cents of lifetime billings, rounded once."""
    if billed_cents < 0:
        raise ValueError("lifetime billings cannot be negative")
    exact = 0  # in cents times basis points, so no rounding happens until the end
    lower = 0
    for tier in _tiers(schedule):
        upper = billed_cents if tier.up_to_cents is None else min(billed_cents, tier.up_to_cents)
        if upper > lower:
            exact += (upper - lower) * tier.rate_bp
        if tier.up_to_cents is None or billed_cents <= tier.up_to_cents:
            break
        lower = tier.up_to_cents
    return round_half_up_div(exact, BASIS)


def freelancer_fee(
    schedule: FreelancerFeeSchedule, *, amount_cents: int, billed_before_cents: int
) -> FreelancerFee:
    """The service fee on one payment, split per tier it falls into."""
    if amount_cents < 0:
        raise ValueError("a payment cannot be negative")
    if billed_before_cents < 0:
        raise ValueError("lifetime billings cannot be negative")
    after = billed_before_cents + amount_cents
    slices: list[TierSlice] = []
    lower = 0
    for tier in _tiers(schedule):
        upper = tier.up_to_cents
        start = max(lower, billed_before_cents)
        end = after if upper is None else min(after, upper)
        if end > start:
            slices.append(
                TierSlice(
                    lower_cents=lower,
                    upper_cents=upper,
                    rate_bp=tier.rate_bp,
                    amount_cents=end - start,
                    fee_cents=cumulative_fee_cents(schedule, end)
                    - cumulative_fee_cents(schedule, start),
                )
            )
        if upper is None:
            break
        lower = upper
    fee = cumulative_fee_cents(schedule, after) - cumulative_fee_cents(
        schedule, billed_before_cents
    )
    return FreelancerFee(
        amount_cents=amount_cents,
        billed_before_cents=billed_before_cents,
        fee_cents=fee,
        tiers=slices,
    )


def client_fees(
    policy: FeePolicy, *, amount_cents: int, first_payment_of_contract: bool
) -> ClientFees:
    """What the client pays on top of a payment: the marketplace fee, and the contract
    initiation fee with the first payment of a new contract."""
    if amount_cents < 0:
        raise ValueError("a payment cannot be negative")
    return ClientFees(
        amount_cents=amount_cents,
        marketplace_fee_cents=round_half_up_div(
            amount_cents * policy.client_marketplace_fee_bp, BASIS
        ),
        initiation_fee_cents=policy.contract_initiation_fee_cents
        if first_payment_of_contract
        else 0,
    )
