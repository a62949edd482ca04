"""The badge rules of SPEC §12 as a pure function (`reputation.badges.badges_compute`): each
badge held when every criterion is, and each criterion on both sides of its boundary, with
the values the page and the API show ("11 of 16 weeks")."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from openlance.core.policies import BadgeRules, JssPolicy
from openlance.profiles.badges import Badge
from openlance.reputation.badges import (
    BadgeFacts,
    BadgeParams,
    ContractEarning,
    CriterionKey,
    badges_compute,
    snapshot_weeks,
    week_start,
)

NOW = datetime(2026, 6, 17, 15, 30, tzinfo=UTC)  # a Wednesday
P = BadgeParams()


def weeks_at(scores: list[int | None]) -> dict[date, int | None]:
    """Snapshots of the last len(scores) weeks, the current week's first."""
    return dict(zip(snapshot_weeks(NOW, len(scores)), scores, strict=True))


RISING = BadgeFacts(
    jss=None,
    profile_percent=100,
    location_verified=True,
    last_active_at=NOW - timedelta(days=3),
)
TOP = BadgeFacts(
    jss=95,
    weekly_scores=weeks_at([95] * 16),
    first_hired_at=NOW - timedelta(days=200),
    contracts=(ContractEarning(1, 60_000), ContractEarning(2, 40_000)),
    profile_percent=100,
    location_verified=True,
    last_active_at=NOW,
)
PLUS = replace(TOP, contracts=(ContractEarning(1, 500_000), ContractEarning(2, 500_000)))


def held(facts: BadgeFacts, now: datetime = NOW) -> tuple[Badge, ...]:
    return badges_compute(facts, now=now, params=P).held


def criterion(facts: BadgeFacts, badge: Badge, key: CriterionKey, now: datetime = NOW):
    result = badges_compute(facts, now=now, params=P).of(badge)
    return next(c for c in result.criteria if c.key == key)


def test_the_defaults_are_the_spec_numbers_and_the_policys():
    assert BadgeParams.of(JssPolicy().badges) == P
    assert JssPolicy.model_validate({}).badges == BadgeRules()
    assert (P.top_rated_min_jss, P.top_rated_weeks_needed, P.top_rated_weeks) == (90, 13, 16)
    assert (P.top_rated_earnings_cents, P.top_rated_plus_earnings_cents) == (100_000, 1_000_000)
    assert (P.large_contract_cents, P.first_hire.days, P.active.days) == (500_000, 90, 90)


def test_a_policy_may_not_need_more_weeks_than_it_looks_at():
    with pytest.raises(ValueError, match="top_rated_weeks_needed"):
        BadgeRules(top_rated_weeks=4, top_rated_weeks_needed=5)


def test_each_badge_held_when_every_criterion_is():
    assert held(RISING) == (Badge.RISING_TALENT,)
    assert held(TOP) == (Badge.TOP_RATED,)
    assert held(PLUS) == (Badge.TOP_RATED, Badge.TOP_RATED_PLUS)
    assert held(BadgeFacts()) == ()


def test_the_criteria_are_listed_with_names_and_values():
    result = badges_compute(TOP, now=NOW, params=P).of(Badge.TOP_RATED)
    lines = [(c.name, c.required_label, c.actual_label, c.met) for c in result.criteria]
    assert lines == [
        ("Job Success Score of 90% or more now", "90% or more", "95%", True),
        ("90% or more in 13 of the last 16 weekly snapshots", "13 of the last 16 weeks",
         "16 of 16 weeks", True),
        ("First hired more than 90 days ago", "More than 90 days ago", "200 days ago", True),
        ("$1,000.00 earned in the last 12 months", "$1,000.00 or more", "$1,000.00", True),
        ("Profile 100% complete", "100%", "100%", True),
        ("No hold on the account", "Yes", "Yes", True),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("score", "met"), [(None, True), (0, False), (50, False)], ids=["none", "zero", "fifty"]
)
def test_rising_talent_needs_no_score_yet(score, met):
    facts = replace(RISING, jss=score)
    assert criterion(facts, Badge.RISING_TALENT, CriterionKey.NO_SCORE).met is met
    assert (Badge.RISING_TALENT in held(facts)) is met


@pytest.mark.parametrize(("percent", "met"), [(100, True), (90, False)])
def test_a_complete_profile_is_100_percent(percent, met):
    for facts, badge in ((RISING, Badge.RISING_TALENT), (TOP, Badge.TOP_RATED)):
        changed = replace(facts, profile_percent=percent)
        assert criterion(changed, badge, CriterionKey.PROFILE_COMPLETE).met is met
        assert (badge in held(changed)) is met


def test_rising_talent_needs_a_verified_location():
    facts = replace(RISING, location_verified=False)
    line = criterion(facts, Badge.RISING_TALENT, CriterionKey.LOCATION_VERIFIED)
    assert (line.met, line.actual_label) == (False, "No")
    assert held(facts) == ()


@pytest.mark.parametrize(
    ("ago", "met", "label"),
    [
        (timedelta(days=90), True, "90 days ago"),
        (timedelta(days=90, seconds=1), False, "90 days ago"),
        (timedelta(0), True, "Today"),
        (None, False, "Never"),
    ],
)
def test_rising_talent_needs_activity_in_the_last_90_days(ago, met, label):
    facts = replace(RISING, last_active_at=None if ago is None else NOW - ago)
    line = criterion(facts, Badge.RISING_TALENT, CriterionKey.ACTIVE)
    assert (line.met, line.actual_label) == (met, label)


@pytest.mark.parametrize(
    ("negatives", "met", "label"), [(0, True, "None"), (1, False, "1 contract")]
)
def test_rising_talent_needs_no_negative_outcome(negatives, met, label):
    facts = replace(RISING, negative_outcomes=negatives)
    line = criterion(facts, Badge.RISING_TALENT, CriterionKey.NO_NEGATIVE_OUTCOME)
    assert (line.met, line.actual_label) == (met, label)


@pytest.mark.parametrize(("score", "met"), [(90, True), (89, False), (None, False)])
def test_top_rated_needs_90_percent_now(score, met):
    facts = replace(TOP, jss=score)
    assert criterion(facts, Badge.TOP_RATED, CriterionKey.JSS_NOW).met is met
    assert (Badge.TOP_RATED in held(facts)) is met


@pytest.mark.parametrize(
    ("scores", "met", "label"),
    [
        ([90] * 13 + [89] * 3, True, "13 of 16 weeks"),
        ([90] * 12 + [89] * 4, False, "12 of 16 weeks"),
        ([95] * 11 + [None] * 5, False, "11 of 16 weeks"),
        ([95] * 12, False, "12 of 16 weeks"),  # four weeks without a snapshot
    ],
)
def test_top_rated_needs_13_of_the_last_16_weekly_snapshots(scores, met, label):
    facts = replace(TOP, weekly_scores=weeks_at(scores))
    line = criterion(facts, Badge.TOP_RATED, CriterionKey.JSS_WEEKS)
    assert (line.met, line.actual_label, line.required_label) == (
        met,
        label,
        "13 of the last 16 weeks",
    )


def test_snapshots_older_than_16_weeks_do_not_count():
    scores = weeks_at([95] * 17)
    oldest = min(scores)
    only_old = {oldest: 95, **{week: 50 for week in scores if week != oldest}}
    facts = replace(TOP, weekly_scores=only_old)
    assert criterion(facts, Badge.TOP_RATED, CriterionKey.JSS_WEEKS).actual == 0


def test_weeks_start_on_monday_utc():
    assert week_start(NOW) == date(2026, 6, 15)
    assert week_start(datetime(2026, 6, 15, 0, 0, tzinfo=UTC)) == date(2026, 6, 15)
    assert week_start(datetime(2026, 6, 14, 23, 59, tzinfo=UTC)) == date(2026, 6, 8)
    assert snapshot_weeks(NOW, 3) == (date(2026, 6, 15), date(2026, 6, 8), date(2026, 6, 1))


@pytest.mark.parametrize(
    ("ago", "met"),
    [(timedelta(days=90, seconds=1), True), (timedelta(days=90), False), (None, False)],
)
def test_top_rated_needs_a_first_hire_more_than_90_days_ago(ago, met):
    facts = replace(TOP, first_hired_at=None if ago is None else NOW - ago)
    assert criterion(facts, Badge.TOP_RATED, CriterionKey.FIRST_HIRE).met is met


@pytest.mark.parametrize(("cents", "met"), [(100_000, True), (99_999, False)])
def test_top_rated_needs_1000_dollars_in_12_months(cents, met):
    facts = replace(TOP, contracts=(ContractEarning(1, cents),))
    assert criterion(facts, Badge.TOP_RATED, CriterionKey.EARNINGS).met is met
    assert (Badge.TOP_RATED in held(facts)) is met


def test_a_hold_takes_top_rated_and_plus_away():
    facts = replace(PLUS, on_hold=True)
    line = criterion(facts, Badge.TOP_RATED, CriterionKey.NO_HOLD)
    assert (line.met, line.actual_label) == (False, "No")
    assert held(facts) == ()
    plus = badges_compute(facts, now=NOW, params=P).of(Badge.TOP_RATED_PLUS)
    assert plus.unmet == (CriterionKey.TOP_RATED,)


def test_a_hold_does_not_touch_rising_talent():
    assert held(replace(RISING, on_hold=True)) == (Badge.RISING_TALENT,)


@pytest.mark.parametrize(("cents", "met"), [(1_000_000, True), (999_999, False)])
def test_top_rated_plus_needs_10000_dollars_in_12_months(cents, met):
    facts = replace(
        PLUS, contracts=(ContractEarning(1, 500_000), ContractEarning(2, cents - 500_000))
    )
    assert criterion(facts, Badge.TOP_RATED_PLUS, CriterionKey.EARNINGS_PLUS).met is met
    assert (Badge.TOP_RATED_PLUS in held(facts)) is met


@pytest.mark.parametrize(
    ("contracts", "met", "actual"),
    [
        ((ContractEarning(1, 500_000), ContractEarning(2, 500_000)), True, 500_000),
        ((ContractEarning(1, 499_999), ContractEarning(2, 500_001, negative=True)), False, 499_999),
        (tuple(ContractEarning(i, 100_000) for i in range(10)), False, 100_000),
    ],
    ids=["one-large", "large-but-negative", "many-small"],
)
def test_top_rated_plus_needs_one_large_contract_without_a_negative_outcome(contracts, met, actual):
    facts = replace(PLUS, contracts=contracts)
    line = criterion(facts, Badge.TOP_RATED_PLUS, CriterionKey.LARGE_CONTRACT)
    assert (line.met, line.actual) == (met, actual)


def test_top_rated_plus_needs_top_rated():
    facts = replace(PLUS, jss=89)
    assert Badge.TOP_RATED_PLUS not in held(facts)
    assert criterion(facts, Badge.TOP_RATED_PLUS, CriterionKey.TOP_RATED).met is False


def test_rising_talent_and_top_rated_never_go_together():
    # Rising Talent needs no score; Top Rated one of 90% or more.
    for score in (None, 0, 89, 90, 100):
        badges = held(replace(TOP, jss=score))
        assert not {Badge.RISING_TALENT, Badge.TOP_RATED} <= set(badges)
