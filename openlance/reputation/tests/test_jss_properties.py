"""Properties of the Job Success Score that hold for any history (hypothesis): a score is
None or a whole percent in 0-100; a positive counted contract never lowers a window's score;
contracts that do not count (ended without feedback, not long-running, not repeat; or with
a flagged client's feedback) never change it; the order of the contracts does not matter;
the what-if of a flagged client's contract is the score without their feedback."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from openlance.core.policies import JssPolicy
from openlance.core.presets import JSS_DEFAULTS
from openlance.reputation.jss import (
    ClientFeedback,
    ContractFacts,
    ContractResult,
    JssParams,
    JssResult,
    jss_compute,
    jss_what_if,
)

NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)
DEFAULTS = JssParams.of(JssPolicy.model_validate(JSS_DEFAULTS))

feedbacks = st.one_of(
    st.none(),
    st.builds(
        ClientFeedback,
        ratings_total=st.one_of(st.none(), st.integers(6, 30)),
        recommend=st.one_of(st.none(), st.integers(0, 10)),
        counts=st.booleans(),
    ),
)


@st.composite
def contract_facts(draw: st.DrawFn, contract_id: int) -> ContractFacts:
    started = NOW - timedelta(days=draw(st.integers(0, 1_100)), hours=draw(st.integers(0, 23)))
    ended_at = None
    if draw(st.booleans()):
        ended_at = min(NOW, started + timedelta(days=draw(st.integers(0, 400))))
    return ContractFacts(
        contract_id=contract_id,
        client_id=draw(st.integers(1, 5)),
        started_at=started,
        ended_at=ended_at,
        earned_cents=draw(st.sampled_from([0, 1, 4_999, 5_000, 25_000, 500_000, 900_000])),
        is_repeat=draw(st.booleans()),
        feedback=draw(feedbacks),
        dispute_against=draw(st.booleans()),
        client_flagged=draw(st.booleans()),
    )


@st.composite
def histories(draw: st.DrawFn) -> list[ContractFacts]:
    size = draw(st.integers(0, 12))
    return [draw(contract_facts(contract_id)) for contract_id in range(1, size + 1)]


@st.composite
def policies(draw: st.DrawFn) -> JssParams:
    """The defaults, or a policy with a penalty and other weights and minimums."""
    if draw(st.booleans()):
        return DEFAULTS
    low = draw(st.integers(0, 10_000))
    policy = JssPolicy.model_validate(
        {
            **JSS_DEFAULTS,
            "weight_min_cents": low,
            "weight_max_cents": low + draw(st.integers(0, 1_000_000)),
            "negative_penalty": str(draw(st.sampled_from([Decimal("0"), Decimal("0.5"), 1, 2]))),
            "minimum_contracts": draw(st.integers(1, 3)),
            "minimum_clients": draw(st.integers(1, 3)),
        }
    )
    return JssParams.of(policy)


def compute(contracts: list[ContractFacts], params: JssParams) -> JssResult:
    return jss_compute(contracts, now=NOW, params=params)


def by_id(result: JssResult, contract_id: int) -> ContractResult:
    return next(found for found in result.contracts if found.contract_id == contract_id)


def percent_or_none(value: int | None) -> bool:
    return value is None or (isinstance(value, int) and 0 <= value <= 100)


@settings(max_examples=300, deadline=None)
@given(histories(), policies())
def test_a_score_is_none_or_a_whole_percent(contracts, params):
    result = compute(contracts, params)
    assert percent_or_none(result.score)
    assert all(percent_or_none(window.score) for window in result.windows)
    scores = [w.score for w in result.windows if w.score is not None]
    assert result.score == (max(scores) if scores else None)
    if not result.minimum_met:
        assert result.score is None
        assert all(window.score is None for window in result.windows)
    assert result.next_change_at is None or result.next_change_at > NOW


@settings(max_examples=300, deadline=None)
@given(
    histories(),
    policies(),
    st.integers(1, 5),
    st.integers(1, 2_000_000),
    st.integers(0, 150),
)
def test_a_positive_counted_contract_never_lowers_a_window(
    contracts, params, client_id, earned, ended_days_ago
):
    added = ContractFacts(
        contract_id=999,
        client_id=client_id,
        started_at=NOW - timedelta(days=ended_days_ago + 10),
        ended_at=NOW - timedelta(days=ended_days_ago),
        earned_cents=earned,
        feedback=ClientFeedback(ratings_total=30, recommend=10),
    )
    before = compute(contracts, params)
    after = compute([*contracts, added], params)
    assert by_id(after, 999).counted
    for old, new in zip(before.windows, after.windows, strict=True):
        if old.score is not None:
            assert new.score is not None
            assert new.score >= old.score
    if before.score is not None:
        assert after.score is not None
        assert after.score >= before.score


@settings(max_examples=300, deadline=None)
@given(
    histories(),
    policies(),
    st.integers(1, 9),
    st.integers(0, 89),
    st.integers(0, 2_000_000),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)
def test_contracts_that_do_not_count_never_change_the_score(
    contracts, params, client_id, days, earned, ended, dispute, flagged_feedback
):
    """Not long-running and not repeat, and ended without (counting) feedback or running."""
    started = NOW - timedelta(days=days)
    quiet = ContractFacts(
        contract_id=999,
        client_id=client_id,
        started_at=started,
        ended_at=NOW if ended else None,
        earned_cents=earned,
        is_repeat=False,
        feedback=ClientFeedback(ratings_total=6, recommend=0, counts=False)
        if flagged_feedback
        else None,
        dispute_against=dispute,
    )
    before = compute(contracts, params)
    after = compute([*contracts, quiet], params)
    assert not by_id(after, 999).counted
    assert after.score == before.score
    assert after.windows == before.windows
    assert (after.counted_contracts, after.counted_clients) == (
        before.counted_contracts,
        before.counted_clients,
    )


@settings(max_examples=200, deadline=None)
@given(histories().flatmap(lambda h: st.tuples(st.just(h), st.permutations(h))), policies())
def test_the_order_of_the_contracts_does_not_matter(pair, params):
    contracts, shuffled = pair
    assert compute(contracts, params) == compute(list(shuffled), params)


@settings(max_examples=200, deadline=None)
@given(histories(), policies(), st.integers(1, 5), st.integers(0, 2_000_000), st.booleans())
def test_the_what_if_of_a_flagged_clients_contract_is_the_score_without_their_feedback(
    contracts, params, client_id, earned, ended
):
    flagged = ContractFacts(
        contract_id=999,
        client_id=client_id,
        started_at=NOW - timedelta(days=30),
        ended_at=NOW - timedelta(days=1) if ended else None,
        earned_cents=earned,
        client_flagged=True,
        feedback_closes_at=NOW + timedelta(days=13) if ended else None,
    )
    what = jss_what_if([*contracts, flagged], contract_id=999, now=NOW, params=params)
    without = compute([*contracts, replace(flagged, ended_at=flagged.ended_at or NOW)], params)
    assert what.if_positive == what.if_negative == without.score
    assert what.counts is False
