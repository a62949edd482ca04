from datetime import UTC, datetime
from decimal import Decimal

import pytest

from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.billing.tests.factories import paid_for_work
from openlance.core.clock import frozen_at
from openlance.core.errors import InvalidInput
from openlance.core.models import PolicyKind
from openlance.core.money import Money
from openlance.core.presets import PRESETS
from openlance.core.services import policy_add
from openlance.insights import gigmath
from openlance.insights.gigmath import Bid, gig_math
from openlance.jobs.models import BudgetType
from openlance.jobs.services import MAXIMUM_BUDGET_CENTS, MINIMUM_HOURLY_CENTS
from openlance.jobs.tests.factories import job_post
from openlance.profiles.models import Freelancer
from openlance.profiles.tests.factories import freelancer_with_profile
from openlance.proposals.forms import ProposalForm
from openlance.proposals.models import Invitation

pytestmark = pytest.mark.usefixtures("assert_ledger_sound")
# Under the 2019 preset: sliding 20/10/5, client fees 3% + $2.95, Connects at $0.15 each,
# 2 below a $50 job, 4 below $600, 6 otherwise.
NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)


def _math(freelancer, *, job=None, client=None, bid=None, work="10", pitch="1"):
    with frozen_at(NOW):
        return gig_math(
            freelancer=freelancer,
            job=job,
            client=client,
            bid=bid or Bid.fixed(Money(60_000)),
            pitch_hours=Decimal(pitch),
            work_hours=Decimal(work),
            now=NOW,
        )


def _freelancer(minimum_cents=None):
    user = freelancer_with_profile().freelancer.user
    Freelancer.objects.filter(user=user).update(minimum_hourly_rate_cents=minimum_cents)
    return user


def _billed(freelancer, client, cents):
    with frozen_at(NOW):
        paid_for_work(freelancer, client, cents, key=f"test:release:{freelancer.pk}:{client.pk}")


def test_first_600_with_a_new_client_is_the_worked_example():
    math = _math(_freelancer(), job=job_post(budget_cents=50_000))
    assert math.gross == Money(60_000)
    assert math.billed_before == Money(0)
    assert [(t.rate_percent, t.amount, t.fee) for t in math.fee_tiers] == [
        (Decimal("20.00"), Money(50_000), Money(10_000)),
        (Decimal("10.00"), Money(10_000), Money(1_000)),
    ]
    assert math.service_fee == Money(11_000)
    assert math.net == Money(49_000)
    assert math.client_marketplace_fee == Money(1_800)
    assert math.client_initiation_fee == Money(295)
    assert math.client_total == Money(62_095)
    # $490 over 11 hours is $44.5454..., rounded half-up.
    assert math.effective_hourly_rate == Money(4_455)
    assert (math.connects, math.connects_value) == (4, Money(60))
    assert math.pitch_time_value is None
    assert math.pitch_cost == Money(60)
    assert math.hire_rate_assumed
    assert math.hire_rate_percent == Decimal("10.00")
    assert math.expected_value == Money(4_900 - 60)
    assert math.verdict == "no_minimum"
    assert math.fee_schedule == "sliding"


def test_billings_with_the_client_move_the_tiers():
    freelancer, client = _freelancer(), client_user()
    _billed(freelancer, client, 50_000)
    math = _math(freelancer, job=job_post(client=client))
    assert math.billed_before == Money(50_000)
    assert [(t.rate_percent, t.fee) for t in math.fee_tiers] == [(Decimal("10.00"), Money(6_000))]
    assert math.net == Money(54_000)
    # The same bid freehand to that client gives the same fee; to another client it does not.
    assert _math(freelancer, client=client).service_fee == Money(6_000)
    assert _math(freelancer, client=client_user()).service_fee == Money(11_000)


def test_hourly_bid_is_rate_times_hours():
    math = _math(_freelancer(), bid=Bid.hourly(Money(4_000)), work="12.5", pitch="0.5")
    assert math.gross == Money(50_000)
    assert math.net == Money(40_000)
    assert math.effective_hourly_rate == Money(3_077)  # $400 / 13 h


def test_flat_fee_policy_preset():
    params = {**PRESETS[1]["params"]["fees"], "freelancer_fee": {"type": "flat", "rate_bp": 1_000}}
    with frozen_at(NOW):
        policy_add(kind=PolicyKind.FEES, label="flat ten", effective_from=NOW, params=params)
    math = _math(_freelancer())
    assert math.fee_schedule == "flat"
    assert [(t.rate_percent, t.fee) for t in math.fee_tiers] == [(Decimal("10.00"), Money(6_000))]
    assert math.net == Money(54_000)


@pytest.mark.parametrize(
    ("bid_cents", "connects"), [(4_000, 2), (10_000, 4), (59_999, 4), (60_000, 6)]
)
def test_freehand_connects_follow_the_bid_value_tiers(bid_cents, connects):
    math = _math(_freelancer(), bid=Bid.fixed(Money(bid_cents)))
    assert math.connects == connects
    assert math.connects_value == Money(connects * 15)


def test_connects_follow_the_job_and_are_free_when_invited():
    freelancer = _freelancer()
    hourly = job_post(budget_type=BudgetType.HOURLY)  # $30/h midpoint x 40 h = $1,200
    assert _math(freelancer, job=hourly).connects == 6
    Invitation.objects.create(job=hourly, freelancer=freelancer, message="Hi!", created_at=NOW)
    math = _math(freelancer, job=hourly)
    assert (math.connects, math.connects_value, math.connects_free_invited) == (0, Money(0), True)
    assert math.expected_value == Money(4_900)


def test_hire_rate_uses_history_once_long_enough(monkeypatch):
    freelancer = _freelancer()
    history = {"value": (9, 9)}
    monkeypatch.setattr(
        gigmath.proposal_selectors, "proposal_hire_rate", lambda *, freelancer: history["value"]
    )
    short = _math(freelancer, bid=Bid.fixed(Money(60_000)))
    assert short.hire_rate_assumed
    assert short.hire_rate_percent == Decimal(gigmath.DEFAULT_HIRE_RATE_PERCENT)
    history["value"] = (3, gigmath.HIRE_RATE_MIN_PROPOSALS * 2)
    math = _math(freelancer, bid=Bid.fixed(Money(60_000)))
    assert not math.hire_rate_assumed
    assert (math.hires, math.proposals_sent, math.hire_rate_percent) == (3, 20, Decimal("15.00"))
    assert math.expected_value == Money(7_350 - 6 * 15)


def test_verdict_against_the_minimum_and_pitch_time_is_priced():
    above = _math(_freelancer(minimum_cents=4_000), pitch="1.5")
    # $490 / 11.5 h = $42.61
    assert (above.verdict, above.effective_hourly_rate) == ("above", Money(4_261))
    assert above.pitch_time_value == Money(6_000)
    assert above.pitch_cost == Money(6_000 + 90)
    assert _math(_freelancer(minimum_cents=4_455)).verdict == "above"
    assert _math(_freelancer(minimum_cents=4_456)).verdict == "below"


def test_freelancer_without_a_profile_row_has_no_minimum():
    assert _math(freelancer_user()).verdict == "no_minimum"


@pytest.mark.parametrize(
    ("bid", "work", "pitch", "field"),
    [
        (Bid.fixed(Money(499)), "10", "1", "bid_amount"),
        (Bid.fixed(Money(100_000_001)), "10", "1", "bid_amount"),
        (Bid.hourly(Money(299)), "10", "1", "hourly_rate"),
        (Bid.fixed(Money(60_000)), "0", "1", "work_hours"),
        (Bid.fixed(Money(60_000)), "10.001", "1", "work_hours"),
        (Bid.fixed(Money(60_000)), "10", "-1", "pitch_hours"),
        (Bid.fixed(Money(60_000)), "10", "101", "pitch_hours"),
        (Bid.fixed(Money(60_000)), "NaN", "1", "work_hours"),
    ],
)
def test_bad_input_is_refused_by_field(bid, work, pitch, field):
    with pytest.raises(InvalidInput) as caught:
        _math(_freelancer(), bid=bid, work=work, pitch=pitch)
    assert field in caught.value.field_errors


def test_every_bid_a_proposal_may_carry_has_its_gig_math():
    highest = Money(MAXIMUM_BUDGET_CENTS)
    for bid in (Bid.hourly(highest), Bid.fixed(highest), Bid.hourly(Money(MINIMUM_HOURLY_CENTS))):
        assert _math(_freelancer(), bid=bid, work="1").bid == bid
    form = ProposalForm(job=job_post(), profiles=[])
    assert form.fields["pitch_hours"].max_value == gigmath.MAX_PITCH_HOURS
    assert form.fields["work_hours"].max_value == gigmath.MAX_WORK_HOURS


def test_job_of_another_client_is_refused():
    with pytest.raises(InvalidInput) as caught:
        _math(_freelancer(), job=job_post(), client=client_user())
    assert "client_id" in caught.value.field_errors
