import pytest
from hypothesis import given
from hypothesis import strategies as st

from openlance.billing.fees import client_fees, cumulative_fee_cents, freelancer_fee
from openlance.core.policies import FeePolicy, FlatSchedule, PerContractSchedule, SlidingSchedule
from openlance.core.presets import PRESETS, SLIDING_20_10_5

SLIDING = SlidingSchedule.model_validate(SLIDING_20_10_5)
FLAT_10 = FlatSchedule(rate_bp=1_000)
POLICY_2019 = FeePolicy.model_validate(PRESETS[1]["params"]["fees"])
POLICY_CLASSIC = FeePolicy.model_validate(PRESETS[0]["params"]["fees"])

cents = st.integers(min_value=0, max_value=5_000_000)
schedules = st.sampled_from([SLIDING, FLAT_10, PerContractSchedule(rate_bp=1_234)])


def test_worked_example_of_the_spec():
    """A first $600 payment with a new client pays $100 + $10 = $110 and nets $490."""
    fee = freelancer_fee(SLIDING, amount_cents=60_000, billed_before_cents=0)
    assert fee.fee_cents == 11_000
    assert fee.net_cents == 49_000
    assert [(t.rate_bp, t.amount_cents, t.fee_cents) for t in fee.tiers] == [
        (2_000, 50_000, 10_000),
        (1_000, 10_000, 1_000),
    ]


def test_payment_crossing_the_top_boundary_is_split():
    fee = freelancer_fee(SLIDING, amount_cents=200_000, billed_before_cents=900_000)
    assert [(t.rate_bp, t.amount_cents, t.fee_cents) for t in fee.tiers] == [
        (1_000, 100_000, 10_000),
        (500, 100_000, 5_000),
    ]
    assert fee.fee_cents == 15_000


def test_existing_relationship_starts_in_a_lower_tier():
    fee = freelancer_fee(SLIDING, amount_cents=10_000, billed_before_cents=2_000_000)
    assert fee.fee_cents == 500
    assert fee.tiers[0].lower_cents == 1_000_000
    assert fee.tiers[0].upper_cents is None


def test_cumulative_fee_rounds_half_up_once():
    # 20% of 2.5 cents is 0.5 cent: rounds up to 1
    assert cumulative_fee_cents(SLIDING, 3) == 1
    assert cumulative_fee_cents(SLIDING, 2) == 0
    assert cumulative_fee_cents(FlatSchedule(rate_bp=1_000), 5) == 1
    assert cumulative_fee_cents(FlatSchedule(rate_bp=1_000), 4) == 0


def test_flat_schedule():
    fee = freelancer_fee(FLAT_10, amount_cents=123_456, billed_before_cents=7_777_777)
    # fee(7,901,233) - fee(7,777,777) = 790,123 - 777,778, not round(12,345.6): no drift
    assert fee.fee_cents == 12_345
    assert len(fee.tiers) == 1


@pytest.mark.parametrize(
    "bad",
    [
        {"amount_cents": -1, "billed_before_cents": 0},
        {"amount_cents": 1, "billed_before_cents": -1},
    ],
)
def test_negative_inputs_are_refused(bad):
    with pytest.raises(ValueError, match="negative"):
        freelancer_fee(SLIDING, **bad)


def test_client_fees_by_preset():
    first = client_fees(POLICY_2019, amount_cents=60_000, first_payment_of_contract=True)
    assert (first.marketplace_fee_cents, first.initiation_fee_cents) == (1_800, 295)
    assert first.total_charged_cents == 62_095
    later = client_fees(POLICY_2019, amount_cents=60_000, first_payment_of_contract=False)
    assert later.initiation_fee_cents == 0
    classic = client_fees(POLICY_CLASSIC, amount_cents=10_000, first_payment_of_contract=True)
    assert (classic.marketplace_fee_cents, classic.initiation_fee_cents) == (275, 0)


@given(schedule=schedules, billed=cents, parts=st.lists(st.integers(0, 1_000_000), max_size=12))
def test_fees_on_any_split_sum_to_the_fee_on_the_total(schedule, billed, parts):
    total = sum(parts)
    whole = freelancer_fee(schedule, amount_cents=total, billed_before_cents=billed).fee_cents
    paid = 0
    running = billed
    for part in parts:
        paid += freelancer_fee(schedule, amount_cents=part, billed_before_cents=running).fee_cents
        running += part
    assert paid == whole


@given(schedule=schedules, billed=cents, amount=cents)
def test_fee_is_never_negative_nor_more_than_the_amount(schedule, billed, amount):
    fee = freelancer_fee(schedule, amount_cents=amount, billed_before_cents=billed)
    assert 0 <= fee.fee_cents <= amount
    assert fee.net_cents == amount - fee.fee_cents
    assert sum(t.fee_cents for t in fee.tiers) == fee.fee_cents
    assert sum(t.amount_cents for t in fee.tiers) == amount
    assert all(t.fee_cents >= 0 for t in fee.tiers)


@given(amount=cents, first=st.booleans())
def test_client_fees_are_never_negative(amount, first):
    fees = client_fees(POLICY_2019, amount_cents=amount, first_payment_of_contract=first)
    assert fees.marketplace_fee_cents >= 0
    assert fees.total_charged_cents >= amount
