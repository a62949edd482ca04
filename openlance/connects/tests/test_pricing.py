from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from openlance.connects.pricing import expected_job_value_cents, proposal_cost
from openlance.core.policies import connects_policy_at

pytestmark = pytest.mark.django_db


def _fixed(cents):
    return SimpleNamespace(
        budget_type="fixed",
        budget_cents=cents,
        hourly_min_cents=None,
        hourly_max_cents=None,
        duration="less_than_1_month",
    )


def _hourly(low, high, duration):
    return SimpleNamespace(
        budget_type="hourly",
        budget_cents=None,
        hourly_min_cents=low,
        hourly_max_cents=high,
        duration=duration,
    )


@pytest.fixture
def tiered():
    return connects_policy_at(datetime(2026, 1, 1, tzinfo=UTC))


@pytest.fixture
def classic():
    return connects_policy_at(datetime(2018, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("cents", "connects"),
    [(500, 2), (4_999, 2), (5_000, 4), (59_999, 4), (60_000, 6), (1_000_000, 6)],
)
def test_fixed_price_posts_cost_by_budget_at_the_section_16_boundaries(tiered, cents, connects):
    assert proposal_cost(job=_fixed(cents), policy=tiered) == connects


@pytest.mark.parametrize(
    ("low", "high", "duration", "value", "connects"),
    [
        # $1.00-$1.48/h for 40 h: midpoint $1.24 x 40 = $49.60, under $50.
        (100, 148, "less_than_1_month", 4_960, 2),
        # $1.25/h x 40 h is exactly $50: the next tier.
        (100, 150, "less_than_1_month", 5_000, 4),
        # $20-40/h for 1-3 months: $30 x 160 h = $4,800.
        (2_000, 4_000, "one_to_3_months", 480_000, 6),
        # $1.25/h x 480 h = $600 exactly.
        (125, 125, "three_to_6_months", 60_000, 6),
        (124, 124, "three_to_6_months", 59_520, 4),
        (100, 100, "more_than_6_months", 96_000, 6),
    ],
)
def test_hourly_posts_cost_by_midpoint_rate_times_hours_by_duration(
    tiered, low, high, duration, value, connects
):
    job = _hourly(low, high, duration)
    assert expected_job_value_cents(job=job, policy=tiered) == value
    assert proposal_cost(job=job, policy=tiered) == connects


def test_an_hourly_post_without_a_maximum_uses_its_minimum(tiered):
    job = _hourly(2_000, None, "less_than_1_month")
    assert expected_job_value_cents(job=job, policy=tiered) == 80_000


@pytest.mark.parametrize(
    "job", [_fixed(500), _fixed(10_000_000), _hourly(100, 9_000, "more_than_6_months")]
)
def test_the_classic_preset_charges_a_flat_two(classic, job):
    assert proposal_cost(job=job, policy=classic) == 2
