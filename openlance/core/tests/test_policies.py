from datetime import UTC, datetime, timedelta

import pytest

from openlance.core import clock
from openlance.core.errors import Conflict, InvalidInput, NotFound
from openlance.core.models import OutboxEvent, Policy
from openlance.core.policies import (
    ConnectsPolicy,
    FeePolicy,
    connects_policy_at,
    fee_policy_at,
    jss_policy_at,
    policy_at,
    policy_version_at,
)
from openlance.core.presets import PRESETS
from openlance.core.services import policy_add

CLASSIC_FROM = datetime(2016, 6, 7, tzinfo=UTC)
NEW_FROM = datetime(2019, 5, 1, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def test_fresh_install_has_both_presets_and_uses_2019():
    assert Policy.objects.count() == 8
    for kind in ("fees", "connects", "jss", "ranking"):
        assert policy_version_at(kind, clock.now()).label == "2019"
    fees = fee_policy_at(clock.now())
    assert fees.client_marketplace_fee_bp == 300
    assert fees.contract_initiation_fee_cents == 295
    connects = connects_policy_at(clock.now())
    assert connects.connect_price_cents == 15
    assert connects.welcome_grant == 20
    assert connects.plus_plan.price_cents == 1499


def test_selection_at_the_effective_from_boundary():
    just_before = NEW_FROM - timedelta(microseconds=1)
    assert policy_version_at("fees", just_before).label == "classic"
    assert policy_version_at("fees", NEW_FROM).label == "2019"
    assert fee_policy_at(just_before).client_marketplace_fee_bp == 275
    assert fee_policy_at(NEW_FROM).client_marketplace_fee_bp == 300
    assert connects_policy_at(just_before).proposal_cost.type == "flat"


def test_nothing_is_in_force_before_the_first_preset():
    with pytest.raises(NotFound):
        policy_at("fees", CLASSIC_FROM - timedelta(seconds=1))


def test_unknown_kind_is_not_found():
    with pytest.raises(NotFound):
        policy_at("astrology", clock.now())


def test_presets_validate_against_their_schemas():
    for preset in PRESETS:
        FeePolicy.model_validate(preset["params"]["fees"])
        ConnectsPolicy.model_validate(preset["params"]["connects"])
    assert jss_policy_at(clock.now()).windows_months == [6, 12, 24]


def _flat_fees(rate_bp=1000):
    return {
        "freelancer_fee": {"type": "flat", "rate_bp": rate_bp},
        "client_marketplace_fee_bp": 300,
        "contract_initiation_fee_cents": 0,
    }


def test_policy_add_takes_effect_at_its_time_and_records_an_event():
    start = datetime(2030, 1, 1, tzinfo=UTC)
    with clock.frozen_at(start - timedelta(days=30)):
        version = policy_add(
            kind="fees", label="flat 10", effective_from=start, params=_flat_fees()
        )
    assert OutboxEvent.objects.filter(kind="policy.added", payload__policy_id=version.pk).exists()
    assert fee_policy_at(start - timedelta(seconds=1)).freelancer_fee.type == "sliding"
    assert fee_policy_at(start).freelancer_fee.type == "flat"


def test_policy_add_refuses_the_past_bad_params_and_duplicates():
    before = Policy.objects.count()
    with pytest.raises(InvalidInput):
        policy_add(
            kind="fees",
            label="x",
            effective_from=clock.now() - timedelta(days=1),
            params=_flat_fees(),
        )
    with pytest.raises(InvalidInput) as bad:
        policy_add(
            kind="fees",
            label="x",
            effective_from=clock.now() + timedelta(days=1),
            params={**_flat_fees(), "freelancer_fee": {"type": "flat", "rate_bp": 20_000}},
        )
    assert "freelancer_fee.flat.rate_bp" in bad.value.field_errors
    with pytest.raises(InvalidInput):
        policy_add(
            kind="fees",
            label="x",
            effective_from=clock.now() + timedelta(days=1),
            params={**_flat_fees(), "surprise": 1},
        )
    when = clock.now() + timedelta(days=2)
    policy_add(kind="fees", label="a", effective_from=when, params=_flat_fees())
    with pytest.raises(Conflict):
        policy_add(kind="fees", label="b", effective_from=when, params=_flat_fees())
    assert Policy.objects.count() == before + 1


def test_sliding_tiers_must_ascend():
    params = _flat_fees()
    params["freelancer_fee"] = {
        "type": "sliding",
        "tiers": [
            {"up_to_cents": 1000, "rate_bp": 10},
            {"up_to_cents": 500, "rate_bp": 5},
            {"up_to_cents": None, "rate_bp": 1},
        ],
    }
    with pytest.raises(InvalidInput):
        policy_add(
            kind="fees", label="x", effective_from=clock.now() + timedelta(days=1), params=params
        )


def _connects(**changes):
    return {**PRESETS[-1]["params"]["connects"], **changes}


@pytest.mark.parametrize(
    ("kind", "params", "field"),
    [
        (
            "connects",
            _connects(
                proposal_cost={
                    "type": "by_job_value",
                    "tiers": [
                        {"below_cents": 60_000, "connects": 4},
                        {"below_cents": 5_000, "connects": 2},
                    ],
                    "otherwise": 6,
                }
            ),
            "proposal_cost.by_job_value",
        ),
        ("connects", _connects(expiry_days=99_999_999_999), "expiry_days"),
        ("connects", _connects(hours_by_duration={"one_to_3_months": -1}), "hours_by_duration"),
        ("jss", {"weight_min_cents": 600_000, "weight_max_cents": 500_000}, "params"),
    ],
    ids=["descending connects tiers", "huge expiry", "negative hours", "jss min over max"],
)
def test_policy_params_that_cannot_work_are_refused(kind, params, field):
    before = Policy.objects.count()
    with pytest.raises(InvalidInput) as refused:
        policy_add(
            kind=kind, label="x", effective_from=clock.now() + timedelta(days=1), params=params
        )
    assert any(name.startswith(field) for name in refused.value.field_errors)
    assert Policy.objects.count() == before
