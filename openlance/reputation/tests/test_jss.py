"""Every rule of SPEC §11 on the pure computation, with its boundaries: outcome thresholds
(recommend 5/9, overall 3.0/4.5, disputes, feedback without its public part), what counts
(feedback, long-running, repeat, flagged clients, $0), weights and their clamp, the penalty
and the rounding, the windows with a frozen clock, the minimum of 2 contracts from 2
clients, and the what-if of every contract still waiting for its client's feedback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
import time_machine

from openlance.core import clock
from openlance.core.policies import JssPolicy
from openlance.core.presets import JSS_DEFAULTS, PRESETS
from openlance.reputation.jss import (
    Basis,
    ClientFeedback,
    ContractFacts,
    ContractResult,
    JssParams,
    JssResult,
    Outcome,
    add_months,
    jss_compute,
    jss_what_if,
    jss_what_ifs,
    outcome_of,
    window_score,
)

NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)
P = JssParams.of(JssPolicy.model_validate(JSS_DEFAULTS))


def fb(total: int | None = 30, recommend: int | None = None, counts: bool = True) -> ClientFeedback:
    return ClientFeedback(ratings_total=total, recommend=recommend, counts=counts)


_ids = iter(range(1, 10_000_000))


def contract(
    *,
    client: int | None = None,
    ended_days_ago: int | None = 10,
    days: int = 30,
    earned: int = 100_000,
    feedback: ClientFeedback | None = None,
    repeat: bool = False,
    dispute: bool = False,
    ended_at: datetime | None = None,
    client_flagged: bool = False,
    feedback_closes_at: datetime | None = None,
) -> ContractFacts:
    """A contract that ran `days` days and ended `ended_days_ago` days before NOW (None:
    still running, started `days` days ago)."""
    contract_id = next(_ids)
    if ended_at is None and ended_days_ago is not None:
        ended_at = NOW - timedelta(days=ended_days_ago)
    started = (ended_at or NOW) - timedelta(days=days)
    return ContractFacts(
        contract_id=contract_id,
        client_id=client if client is not None else 1_000 + contract_id,
        started_at=started,
        ended_at=ended_at,
        earned_cents=earned,
        is_repeat=repeat,
        feedback=feedback,
        dispute_against=dispute,
        client_flagged=client_flagged,
        feedback_closes_at=feedback_closes_at,
    )


def by_id(result: JssResult, contract_id: int) -> ContractResult:
    """The result of one contract (the results come by contract id)."""
    return next(found for found in result.contracts if found.contract_id == contract_id)


def compute(*contracts: ContractFacts, params: JssParams = P, now: datetime = NOW):
    return jss_compute(contracts, now=now, params=params)


def one(facts: ContractFacts, params: JssParams = P):
    """The result of one contract, beside a positive one from another client (so the
    minimum is met)."""
    result = compute(facts, contract(feedback=fb(30, 10)), params=params)
    return by_id(result, facts.contract_id)


# --- the policy ------------------------------------------------------------------------------


def test_both_presets_ship_the_section_11_defaults():
    for preset in PRESETS:
        params = JssParams.of(JssPolicy.model_validate(preset["params"]["jss"]))
        assert params == JssParams()
        assert params.weight_min_cents == 5_000
        assert params.weight_max_cents == 500_000
        assert params.penalty == 0
        assert params.windows_months == (6, 12, 24)
        assert (params.minimum_contracts, params.minimum_clients) == (2, 2)
        assert params.long_running == timedelta(days=90)


def test_the_policy_refuses_windows_out_of_order_and_crossed_thresholds():
    from pydantic import ValidationError

    for bad in (
        {"windows_months": [12, 6]},
        {"windows_months": []},
        {"windows_months": [6, 6]},
        {"negative_recommend_at_most": 9},
        {"negative_public_below": "4.6"},
    ):
        with pytest.raises(ValidationError):
            JssPolicy.model_validate({**JSS_DEFAULTS, **bad})


# --- outcome ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recommend", "expected"),
    [
        (0, Outcome.NEGATIVE),
        (5, Outcome.NEGATIVE),
        (6, Outcome.NEUTRAL),
        (8, Outcome.NEUTRAL),
        (9, Outcome.POSITIVE),
        (10, Outcome.POSITIVE),
    ],
)
def test_recommend_boundaries_5_and_9(recommend, expected):
    # All fives in public: the private score decides.
    assert outcome_of(fb(30, recommend), dispute_against=False, params=P) == expected


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        (17, Outcome.NEGATIVE),  # 2.83
        (18, Outcome.NEUTRAL),  # 3.00 exactly: not below 3.0
        (26, Outcome.NEUTRAL),  # 4.33
        (27, Outcome.POSITIVE),  # 4.50 exactly
        (30, Outcome.POSITIVE),
    ],
)
def test_public_overall_boundaries_3_0_and_4_5_without_private_feedback(total, expected):
    assert outcome_of(fb(total), dispute_against=False, params=P) == expected


def test_overall_is_exact_not_the_rounded_hundredths():
    # The mean of the six ratings is compared as an exact fraction of their sum.
    assert outcome_of(fb(26), dispute_against=False, params=P) == Outcome.NEUTRAL
    # 17/6 = 2.8333... is below 3.0 though it would print as 2.83; 18/6 is exactly 3.
    assert outcome_of(fb(17), dispute_against=False, params=P) == Outcome.NEGATIVE


def test_private_feedback_decides_over_a_high_public_rating():
    # Public 5.0 but recommend 8: neutral, because private feedback exists.
    assert outcome_of(fb(30, 8), dispute_against=False, params=P) == Outcome.NEUTRAL
    # A low public rating is negative even with a high recommend score.
    assert outcome_of(fb(17, 10), dispute_against=False, params=P) == Outcome.NEGATIVE


def test_a_dispute_decided_against_the_freelancer_is_negative_whatever_the_feedback():
    assert outcome_of(fb(30, 10), dispute_against=True, params=P) == Outcome.NEGATIVE
    assert outcome_of(None, dispute_against=True, params=P) == Outcome.NEGATIVE
    assert outcome_of(None, dispute_against=False, params=P) == Outcome.POSITIVE


@pytest.mark.parametrize(
    ("recommend", "expected"),
    [
        (0, Outcome.NEGATIVE),
        (5, Outcome.NEGATIVE),
        (6, Outcome.NEUTRAL),
        (8, Outcome.NEUTRAL),
        (9, Outcome.POSITIVE),
        (10, Outcome.POSITIVE),
    ],
)
def test_feedback_without_its_public_part_is_decided_by_the_recommend_score(recommend, expected):
    # No public overall: neither its "below 3.0" nor its "at least 4.5" applies.
    assert outcome_of(fb(None, recommend), dispute_against=False, params=P) == expected
    assert outcome_of(fb(None, recommend), dispute_against=True, params=P) == Outcome.NEGATIVE


def test_feedback_without_either_part_is_neutral():
    assert outcome_of(fb(None, None), dispute_against=False, params=P) == Outcome.NEUTRAL


# --- what counts -----------------------------------------------------------------------------


def test_an_ended_contract_with_feedback_counts_by_it():
    result = one(contract(feedback=fb(30, 7)))
    assert (result.basis, result.outcome, result.counted) == (Basis.FEEDBACK, Outcome.NEUTRAL, True)


def test_private_feedback_alone_counts_as_feedback():
    result = one(contract(feedback=fb(None, 3)))
    assert (result.basis, result.outcome, result.counted) == (
        Basis.FEEDBACK,
        Outcome.NEGATIVE,
        True,
    )
    assert one(contract(feedback=fb(None, 9))).outcome == Outcome.POSITIVE


def test_an_ended_contract_without_feedback_is_not_counted():
    result = one(contract(feedback=None))
    assert (result.basis, result.counted, result.weight_cents) == (Basis.NO_FEEDBACK, False, 0)


def test_a_running_contract_is_not_counted_unless_long_running_or_repeat():
    assert one(contract(ended_days_ago=None, days=89)).basis == Basis.RUNNING
    long = one(contract(ended_days_ago=None, days=90))
    assert (long.basis, long.outcome) == (Basis.LONG_RUNNING, Outcome.POSITIVE)
    repeat = one(contract(ended_days_ago=None, days=5, repeat=True))
    assert (repeat.basis, repeat.outcome) == (Basis.REPEAT, Outcome.POSITIVE)
    assert repeat.windows == (6, 12, 24)


def test_long_running_or_repeat_without_feedback_is_positive_unless_negative_signals():
    ended_long = one(contract(days=120, feedback=None))
    assert (ended_long.basis, ended_long.outcome) == (Basis.LONG_RUNNING, Outcome.POSITIVE)
    ended_repeat = one(contract(days=3, feedback=None, repeat=True))
    assert (ended_repeat.basis, ended_repeat.outcome) == (Basis.REPEAT, Outcome.POSITIVE)
    disputed = one(contract(days=120, feedback=None, dispute=True))
    assert (disputed.basis, disputed.outcome) == (Basis.LONG_RUNNING, Outcome.NEGATIVE)
    running_disputed = one(contract(ended_days_ago=None, days=5, repeat=True, dispute=True))
    assert running_disputed.outcome == Outcome.NEGATIVE


def test_long_running_is_measured_to_the_end_and_feedback_still_decides():
    assert one(contract(days=89, feedback=None)).basis == Basis.NO_FEEDBACK
    with_feedback = one(contract(days=200, feedback=fb(30, 2)))
    assert (with_feedback.basis, with_feedback.outcome) == (Basis.FEEDBACK, Outcome.NEGATIVE)


def test_a_dispute_against_the_freelancer_without_feedback_on_a_short_contract_is_not_counted():
    # "Contracts ended without any feedback are not counted" (only long/repeat count so).
    assert one(contract(feedback=None, dispute=True)).counted is False


def test_feedback_of_a_flagged_client_is_not_counted():
    flagged = one(contract(feedback=fb(6, 0, counts=False)))
    assert (flagged.basis, flagged.counted) == (Basis.FLAGGED_CLIENT, False)
    # On a long-running contract it is as if there were no feedback: positive.
    long = one(contract(days=100, feedback=fb(6, 0, counts=False)))
    assert (long.basis, long.outcome) == (Basis.LONG_RUNNING, Outcome.POSITIVE)


def test_a_zero_dollar_contract_counts_only_if_negative():
    assert one(contract(earned=0, feedback=fb(30, 10))).basis == Basis.ZERO_VALUE
    assert one(contract(earned=0, feedback=fb(30, 7))).basis == Basis.ZERO_VALUE
    negative = one(contract(earned=0, feedback=fb(30, 3)))
    assert (negative.counted, negative.outcome, negative.weight_cents) == (
        True,
        Outcome.NEGATIVE,
        5_000,
    )
    assert one(contract(ended_days_ago=None, earned=0, repeat=True)).basis == Basis.ZERO_VALUE


# --- weights, penalty, rounding ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("earned", "weight"),
    [
        (1, 5_000),
        (4_999, 5_000),
        (5_000, 5_000),
        (123_456, 123_456),
        (500_000, 500_000),
        (500_001, 500_000),
        (9_000_000, 500_000),
    ],
)
def test_the_weight_is_what_it_earned_clamped_to_50_and_5000_dollars(earned, weight):
    assert one(contract(earned=earned, feedback=fb(30, 10))).weight_cents == weight


def test_window_score_formula_rounds_half_up_and_floors_at_zero():
    assert (
        window_score(positive_cents=1, negative_cents=0, total_cents=3, penalty=Fraction(0)) == 33
    )
    assert (
        window_score(positive_cents=2, negative_cents=0, total_cents=3, penalty=Fraction(0)) == 67
    )
    # Exactly half a percent rounds up: 100 x 1/200 = 0.5 -> 1; 100 x 5/8 = 62.5 -> 63.
    assert (
        window_score(positive_cents=1, negative_cents=0, total_cents=200, penalty=Fraction(0)) == 1
    )
    assert (
        window_score(positive_cents=5, negative_cents=0, total_cents=8, penalty=Fraction(0)) == 63
    )
    # 100 x 124/200 = 62.0 exactly; 100 x 1249/2000 = 62.45 -> 62.
    assert (
        window_score(positive_cents=1249, negative_cents=0, total_cents=2000, penalty=Fraction(0))
        == 62
    )
    # A penalty subtracts, the floor is 0.
    assert (
        window_score(positive_cents=1, negative_cents=1, total_cents=2, penalty=Fraction(1, 2))
        == 25
    )
    assert window_score(positive_cents=1, negative_cents=3, total_cents=4, penalty=Fraction(1)) == 0
    assert (
        window_score(positive_cents=0, negative_cents=0, total_cents=0, penalty=Fraction(0)) is None
    )


def test_score_of_a_window_is_weighted_by_earnings():
    result = compute(
        contract(client=1, earned=300_000, feedback=fb(30, 10)),
        contract(client=2, earned=100_000, feedback=fb(30, 7)),  # neutral
        contract(client=3, earned=100_000, feedback=fb(30, 2)),  # negative
    )
    assert [w.score for w in result.windows] == [60, 60, 60]
    assert result.score == 60
    w6 = result.windows[0]
    assert w6.months == 6
    assert (w6.positive_cents, w6.neutral_cents, w6.negative_cents) == (300_000, 100_000, 100_000)


def test_the_negative_penalty_from_the_policy_as_an_exact_fraction():
    policy = JssPolicy.model_validate({**JSS_DEFAULTS, "negative_penalty": "0.5"})
    params = JssParams.of(policy)
    assert params.penalty == Fraction(1, 2)
    result = compute(
        contract(client=1, earned=100_000, feedback=fb(30, 10)),
        contract(client=2, earned=100_000, feedback=fb(30, 2)),
        params=params,
    )
    assert result.score == 25  # 100 x (1 - 0.5 x 1) / 2


# --- windows and the minimum ---------------------------------------------------------------


def test_add_months_keeps_the_time_and_clamps_the_day():
    assert add_months(datetime(2026, 8, 31, 9, tzinfo=UTC), 6) == datetime(
        2027, 2, 28, 9, tzinfo=UTC
    )
    assert add_months(datetime(2027, 8, 31, 9, tzinfo=UTC), 6) == datetime(
        2028, 2, 29, 9, tzinfo=UTC
    )
    assert add_months(datetime(2026, 1, 15, tzinfo=UTC), 24) == datetime(2028, 1, 15, tzinfo=UTC)
    assert add_months(datetime(2026, 11, 30, tzinfo=UTC), 3) == datetime(2027, 2, 28, tzinfo=UTC)


def test_windows_with_a_frozen_clock_and_the_best_is_shown():
    ended = datetime(2025, 1, 10, 8, tzinfo=UTC)
    old_bad = contract(client=1, ended_at=ended, feedback=fb(30, 2))
    recent = [
        contract(client=2, ended_at=datetime(2025, 7, 1, tzinfo=UTC), feedback=fb(30, 10)),
        contract(client=3, ended_at=datetime(2025, 7, 2, tzinfo=UTC), feedback=fb(30, 10)),
    ]
    edge_6 = datetime(2025, 7, 10, 8, tzinfo=UTC)
    with time_machine.travel(edge_6 - timedelta(seconds=1), tick=False):
        result = compute(old_bad, *recent, now=clock.now())
        assert [w.score for w in result.windows] == [67, 67, 67]
        assert result.next_change_at == edge_6
    with time_machine.travel(edge_6, tick=False):
        result = compute(old_bad, *recent, now=clock.now())
        # The bad contract left the 6-month window: it shows 100%, the best.
        assert [w.score for w in result.windows] == [100, 67, 67]
        assert result.score == 100
        assert by_id(result, old_bad.contract_id).windows == (12, 24)
    # 24 months after, it has aged out of every window.
    gone = datetime(2027, 1, 10, 8, tzinfo=UTC)
    result = compute(old_bad, *recent, now=gone)
    assert by_id(result, old_bad.contract_id).basis == Basis.AGED_OUT


def test_minimum_two_contracts_from_two_clients_else_no_score_never_zero():
    one_contract = compute(contract(client=1, feedback=fb(30, 0)))
    assert one_contract.score is None
    assert [w.score for w in one_contract.windows] == [None, None, None]
    assert (one_contract.counted_contracts, one_contract.counted_clients) == (1, 1)
    same_client = compute(
        contract(client=1, feedback=fb(30, 0)), contract(client=1, feedback=fb(30, 0))
    )
    assert same_client.score is None
    assert (same_client.counted_contracts, same_client.counted_clients) == (2, 1)
    two_clients = compute(
        contract(client=1, feedback=fb(30, 0)), contract(client=2, feedback=fb(30, 0))
    )
    assert two_clients.score == 0  # a real 0%: the minimum is met
    assert two_clients.minimum_met


def test_the_minimum_counts_only_the_last_24_months():
    old = contract(client=1, ended_days_ago=800, feedback=fb(30, 10))
    recent = contract(client=2, ended_days_ago=10, feedback=fb(30, 10))
    result = compute(old, recent)
    assert result.score is None
    assert result.counted_contracts == 1


def test_a_window_without_contracts_has_no_score_while_a_larger_one_does():
    result = compute(
        contract(client=1, ended_days_ago=300, feedback=fb(30, 10)),
        contract(client=2, ended_days_ago=320, feedback=fb(30, 10)),
    )
    assert [w.score for w in result.windows] == [None, 100, 100]
    assert result.score == 100


def test_a_running_contract_becomes_long_running_at_90_days():
    start = NOW - timedelta(days=30)
    running = ContractFacts(
        contract_id=1, client_id=1, started_at=start, ended_at=None, earned_cents=10_000
    )
    before = compute(running)
    assert before.next_change_at == start + timedelta(days=90)
    after = compute(running, now=start + timedelta(days=90))
    assert by_id(after, 1).basis == Basis.LONG_RUNNING


# --- what-if ------------------------------------------------------------------------------------


def test_what_if_a_running_contract_ends_positive_or_negative():
    done = [
        contract(client=1, earned=100_000, feedback=fb(30, 10)),
        contract(client=2, earned=100_000, feedback=fb(30, 10)),
    ]
    running = contract(client=3, ended_days_ago=None, earned=200_000)
    what = jss_what_if([*done, running], contract_id=running.contract_id, now=NOW, params=P)
    assert (what.if_positive, what.if_negative) == (100, 50)
    unpaid = contract(client=4, ended_days_ago=None, earned=0)
    what = jss_what_if([*done, unpaid], contract_id=unpaid.contract_id, now=NOW, params=P)
    # $0: counts only if negative, at the minimum weight ($50 of $2,050).
    assert (what.if_positive, what.if_negative) == (100, 98)


def test_what_if_can_reach_the_minimum():
    first = contract(client=1, feedback=fb(30, 10))
    running = contract(client=2, ended_days_ago=None, earned=10_000)
    what = jss_what_if([first, running], contract_id=running.contract_id, now=NOW, params=P)
    assert (what.if_positive, what.if_negative) == (100, 91)  # 100k / 110k


def test_decimal_thresholds_from_the_policy_are_exact():
    policy = JssPolicy.model_validate({**JSS_DEFAULTS, "positive_public_at_least": "4.33"})
    params = JssParams.of(policy)
    assert params.positive_public_at_least == Fraction(433, 100)
    assert Decimal("4.33") * 6 < 26  # 25.98: a total of 26 is at least 4.33
    assert outcome_of(fb(26), dispute_against=False, params=params) == Outcome.POSITIVE
    assert outcome_of(fb(25), dispute_against=False, params=params) == Outcome.NEUTRAL


def test_what_if_an_ended_contract_gets_its_feedback_while_the_window_is_open():
    done = [
        contract(client=1, earned=100_000, feedback=fb(30, 10)),
        contract(client=2, earned=100_000, feedback=fb(30, 10)),
    ]
    waiting = contract(
        client=3, ended_days_ago=3, earned=200_000, feedback_closes_at=NOW + timedelta(days=11)
    )
    # Not counted yet, and it stays ended when it was: the same numbers as ending it now.
    assert by_id(compute(*done, waiting), waiting.contract_id).basis == Basis.NO_FEEDBACK
    what = jss_what_ifs([*done, waiting], now=NOW, params=P)
    assert set(what) == {waiting.contract_id}
    assert (what[waiting.contract_id].if_positive, what[waiting.contract_id].if_negative) == (
        100,
        50,
    )


def test_what_if_is_offered_only_while_the_clients_feedback_may_still_come():
    open_until = NOW + timedelta(days=1)
    running = contract(client=1, ended_days_ago=None)
    window_open = contract(client=2, feedback_closes_at=open_until)
    window_closed = contract(client=3, feedback_closes_at=NOW)  # closes at NOW: closed
    revealed_without = contract(client=4, feedback_closes_at=None)
    rated = contract(client=5, feedback=fb(30, 10), feedback_closes_at=open_until)
    contracts = [running, window_open, window_closed, revealed_without, rated]
    assert [c.awaits_feedback(NOW) for c in contracts] == [True, True, False, False, False]
    assert set(jss_what_ifs(contracts, now=NOW, params=P)) == {
        running.contract_id,
        window_open.contract_id,
    }


def test_what_if_for_a_flagged_clients_contract_changes_nothing():
    done = [
        contract(client=1, earned=100_000, feedback=fb(30, 10)),
        contract(client=2, earned=100_000, feedback=fb(30, 7)),
    ]
    now = compute(*done).score
    assert now == 50
    running = contract(client=3, ended_days_ago=None, earned=200_000, client_flagged=True)
    ended = contract(
        client=4, earned=200_000, client_flagged=True, feedback_closes_at=NOW + timedelta(days=1)
    )
    what = jss_what_ifs([*done, running, ended], now=NOW, params=P)
    for contract_id in (running.contract_id, ended.contract_id):
        assert (what[contract_id].if_positive, what[contract_id].if_negative) == (now, now)
        assert what[contract_id].counts is False
    # A long-running one counts without feedback either way: positive, whatever they say.
    long = contract(client=5, ended_days_ago=None, days=120, earned=200_000, client_flagged=True)
    what_long = jss_what_if([*done, long], contract_id=long.contract_id, now=NOW, params=P)
    assert what_long.if_positive == what_long.if_negative == compute(*done, long).score == 75
