"""The Job Success Score (SPEC §11) as a pure function: a freelancer's contracts as plain
facts, a moment and the policy's parameters in; each window's score, the score shown and
every contract's part in it out. No database, no clock, no floats: weights are cents, the
policy's decimals become exact fractions, and the one rounding (half up, to a whole percent)
is integer arithmetic. The service that stores the score, the explanation's what-if and the
benchmark all call this same function.

The rules, in the order they are applied to each contract:

1. **Counted basis.** A contract that ended with the client's revealed feedback (public,
   private or both) counts by it. Otherwise a long-running one (at least `long_running_days`
   from its start to its end, or to now while it runs) or a repeat one (the 2nd or later with
   the same client) counts while active or when ended without feedback, as positive unless a
   negative signal exists (a dispute decided against the freelancer). Anything else is not
   counted: a running contract, or one that ended without feedback. Feedback of a flagged
   client is treated as no feedback.
2. **Outcome.** Negative if the recommend score is at most 5, or the public overall (the mean
   of the six ratings, exact) is below 3.0, or a dispute was decided against the freelancer;
   positive if not negative and (recommend at least 9, or no private feedback and overall at
   least 4.5); neutral otherwise. Feedback without its public part has no overall: only the
   recommend score (and a dispute) decides it.
3. **$0.** A contract that paid nothing counts only if its outcome is negative.
4. **Weight.** What the contract earned, clamped to [$50, $5,000].
5. **Windows.** An ended contract is in a window of m months until m calendar months after it
   ended (the same time of day; the 31st becomes the month's last day); a running counted
   contract is in every window. A contract in no window any more has aged out.
6. **Window score** = 100 x (sum positive - p x sum negative) / sum weight, floored at 0, rounded
   half up; a window with no counted contract has none.
7. **Minimum.** With fewer than 2 counted contracts from 2 distinct clients in the largest
   window (the last 24 months) there is no score at all — no window has one, and the score is
   None ("no score yet"), never 0%. Otherwise the score shown is the best window's.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import TYPE_CHECKING

from openlance.core.money import round_half_up_div

if TYPE_CHECKING:
    from openlance.core.policies import JssPolicy


class Outcome(StrEnum):
    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"


class Basis(StrEnum):
    """Why a contract counts, or why it does not."""

    FEEDBACK = "feedback"  # ended with the client's feedback
    LONG_RUNNING = "long_running"  # no feedback (yet), ran at least 90 days
    REPEAT = "repeat"  # no feedback (yet), 2nd+ contract with the same client
    RUNNING = "running"  # not counted: still active, neither long-running nor repeat
    NO_FEEDBACK = "no_feedback"  # not counted: ended without the client's feedback
    FLAGGED_CLIENT = "flagged_client"  # not counted: the client's feedback does not count
    ZERO_VALUE = "zero_value"  # not counted: paid nothing and not negative
    AGED_OUT = "aged_out"  # not counted any more: ended before every window


COUNTED_BASES = frozenset({Basis.FEEDBACK, Basis.LONG_RUNNING, Basis.REPEAT})


@dataclass(frozen=True, slots=True)
class ClientFeedback:
    """The client's revealed feedback on one contract. `ratings_total` is the exact sum of the
    six 1-5 ratings (overall = ratings_total / 6), None without the public part; `recommend`
    the private 0-10 score, None without private feedback; `counts` False while the client is
    flagged."""

    ratings_total: int | None
    recommend: int | None = None
    counts: bool = True


@dataclass(frozen=True, slots=True)
class ContractFacts:
    """What the score reads of one of the freelancer's contracts. `ended_at` is None while
    the contract runs (active or paused); `earned_cents` is what it paid the freelancer for
    work, less refunds; `is_repeat` says an earlier contract with the same client exists.
    Only the what-if reads the last two: `client_flagged` says the client is flagged now (the
    feedback they leave would not count), and `feedback_closes_at` is when the client's
    feedback window of an ended contract closes, None once it is revealed."""

    contract_id: int
    client_id: int
    started_at: datetime
    ended_at: datetime | None
    earned_cents: int
    is_repeat: bool = False
    feedback: ClientFeedback | None = None
    dispute_against: bool = False
    client_flagged: bool = False
    feedback_closes_at: datetime | None = None

    def awaits_feedback(self, now: datetime) -> bool:
        """Still without the client's feedback, and it may come: running, or ended with its
        feedback window open at `now`."""
        if self.feedback is not None:
            return False
        if self.ended_at is None:
            return True
        return self.feedback_closes_at is not None and now < self.feedback_closes_at


@dataclass(frozen=True, slots=True)
class JssParams:
    """A `JssPolicy` as exact integers and fractions."""

    weight_min_cents: int = 5_000
    weight_max_cents: int = 500_000
    penalty: Fraction = Fraction(0)
    windows_months: tuple[int, ...] = (6, 12, 24)
    minimum_contracts: int = 2
    minimum_clients: int = 2
    long_running: timedelta = timedelta(days=90)
    negative_recommend_at_most: int = 5
    negative_public_below: Fraction = Fraction(3)
    positive_recommend_at_least: int = 9
    positive_public_at_least: Fraction = Fraction(9, 2)

    @classmethod
    def of(cls, policy: JssPolicy) -> JssParams:
        return cls(
            weight_min_cents=policy.weight_min_cents,
            weight_max_cents=policy.weight_max_cents,
            penalty=_fraction(policy.negative_penalty),
            windows_months=tuple(sorted(set(policy.windows_months))),
            minimum_contracts=policy.minimum_contracts,
            minimum_clients=policy.minimum_clients,
            long_running=timedelta(days=policy.long_running_days),
            negative_recommend_at_most=policy.negative_recommend_at_most,
            negative_public_below=_fraction(policy.negative_public_below),
            positive_recommend_at_least=policy.positive_recommend_at_least,
            positive_public_at_least=_fraction(policy.positive_public_at_least),
        )

    @property
    def minimum_window(self) -> int:
        """The window of the minimum ("the last 24 months"): the largest."""
        return self.windows_months[-1]


def _fraction(value: Decimal) -> Fraction:
    numerator, denominator = value.as_integer_ratio()
    return Fraction(numerator, denominator)


@dataclass(frozen=True, slots=True)
class ContractResult:
    """One contract's part in the score. `outcome` is set for counted contracts (and for
    aged-out ones, as it was); `weight_cents` is 0 when not counted; `windows` lists the
    months of the windows it is in."""

    contract_id: int
    client_id: int
    basis: Basis
    outcome: Outcome | None
    weight_cents: int
    windows: tuple[int, ...]

    @property
    def counted(self) -> bool:
        return self.basis in COUNTED_BASES


@dataclass(frozen=True, slots=True)
class WindowResult:
    months: int
    score: int | None
    contracts: int
    positive_cents: int
    neutral_cents: int
    negative_cents: int

    @property
    def weight_cents(self) -> int:
        return self.positive_cents + self.neutral_cents + self.negative_cents


@dataclass(frozen=True, slots=True)
class JssResult:
    score: int | None
    windows: tuple[WindowResult, ...]
    contracts: tuple[ContractResult, ...]  # by contract id
    # The minimum, over the largest window.
    counted_contracts: int
    counted_clients: int
    minimum_contracts: int
    minimum_clients: int
    # The first moment after `now` at which time alone can change the result (a contract
    # ages out of a window, a running one becomes long-running); None if none can.
    next_change_at: datetime | None

    @property
    def minimum_met(self) -> bool:
        return (
            self.counted_contracts >= self.minimum_contracts
            and self.counted_clients >= self.minimum_clients
        )


# --- the rules ------------------------------------------------------------------------------


def add_months(moment: datetime, months: int) -> datetime:
    """`moment` plus whole calendar months, the same time of day; a day the target month
    does not have becomes its last (August 31 + 6 months = the end of February)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _overall_below(ratings_total: int, bound: Fraction) -> bool:
    """overall = ratings_total / 6 < bound, exactly."""
    return ratings_total * bound.denominator < 6 * bound.numerator


def outcome_of(
    feedback: ClientFeedback | None, *, dispute_against: bool, params: JssParams
) -> Outcome:
    """SPEC §11's outcome of a contract from the client's counting feedback (None: none) and
    the dispute decision. Without feedback only a dispute makes it negative; else positive.
    Feedback without its public part has no overall, so only its recommend score decides."""
    if dispute_against:
        return Outcome.NEGATIVE
    if feedback is None:
        return Outcome.POSITIVE
    recommend, total = feedback.recommend, feedback.ratings_total
    if (recommend is not None and recommend <= params.negative_recommend_at_most) or (
        total is not None and _overall_below(total, params.negative_public_below)
    ):
        return Outcome.NEGATIVE
    if recommend is not None:
        positive = recommend >= params.positive_recommend_at_least
    else:
        positive = total is not None and not _overall_below(total, params.positive_public_at_least)
    return Outcome.POSITIVE if positive else Outcome.NEUTRAL


def window_score(
    *, positive_cents: int, negative_cents: int, total_cents: int, penalty: Fraction
) -> int | None:
    """100 x (positive - p x negative) / total, floored at 0, rounded half up to a whole
    percent; None for an empty window."""
    if total_cents <= 0:
        return None
    numerator = 100 * (positive_cents * penalty.denominator - penalty.numerator * negative_cents)
    if numerator <= 0:
        return 0
    return round_half_up_div(numerator, total_cents * penalty.denominator)


def _judge(
    facts: ContractFacts, *, now: datetime, params: JssParams
) -> tuple[ContractResult, datetime | None]:
    """One contract's result, and the moment time alone would next change it."""
    end = facts.ended_at
    long_running = (end or now) - facts.started_at >= params.long_running
    feedback = facts.feedback if facts.feedback is not None and facts.feedback.counts else None
    upcoming: list[datetime] = []
    if end is None and not long_running:
        upcoming.append(facts.started_at + params.long_running)
    if end is not None and feedback is not None:
        basis = Basis.FEEDBACK
    elif long_running:
        basis = Basis.LONG_RUNNING
    elif facts.is_repeat:
        basis = Basis.REPEAT
    elif end is None:
        basis = Basis.RUNNING
    elif facts.feedback is not None:
        basis = Basis.FLAGGED_CLIENT
    else:
        basis = Basis.NO_FEEDBACK
    if basis not in COUNTED_BASES:
        return _uncounted(facts, basis), min(upcoming, default=None)
    outcome = outcome_of(feedback, dispute_against=facts.dispute_against, params=params)
    if facts.earned_cents <= 0 and outcome != Outcome.NEGATIVE:
        return _uncounted(facts, Basis.ZERO_VALUE), min(upcoming, default=None)
    if end is None:
        windows = params.windows_months
    else:
        edges = [(months, add_months(end, months)) for months in params.windows_months]
        windows = tuple(months for months, edge in edges if now < edge)
        upcoming.extend(edge for _, edge in edges if now < edge)
    if not windows:
        return (
            ContractResult(facts.contract_id, facts.client_id, Basis.AGED_OUT, outcome, 0, ()),
            None,
        )
    weight = min(max(facts.earned_cents, params.weight_min_cents), params.weight_max_cents)
    result = ContractResult(facts.contract_id, facts.client_id, basis, outcome, weight, windows)
    return result, min(upcoming, default=None)


def _uncounted(facts: ContractFacts, basis: Basis) -> ContractResult:
    return ContractResult(facts.contract_id, facts.client_id, basis, None, 0, ())


def jss_compute(
    contracts: Iterable[ContractFacts], *, now: datetime, params: JssParams
) -> JssResult:
    """The score of a freelancer with `contracts` at `now` under `params` (see the module).
    The order of `contracts` does not matter; the results come by contract id."""
    judged = sorted(
        (_judge(facts, now=now, params=params) for facts in contracts),
        key=lambda pair: pair[0].contract_id,
    )
    results = tuple(result for result, _ in judged)
    upcoming = [moment for _, moment in judged if moment is not None]
    counted = [result for result in results if result.counted]
    in_minimum = [result for result in counted if params.minimum_window in result.windows]
    clients = len({result.client_id for result in in_minimum})
    minimum_met = len(in_minimum) >= params.minimum_contracts and (
        clients >= params.minimum_clients
    )
    windows = []
    for months in params.windows_months:
        members = [result for result in counted if months in result.windows]
        weights = dict.fromkeys(Outcome, 0)
        for member in members:
            assert member.outcome is not None
            weights[member.outcome] += member.weight_cents
        total = sum(weights.values())
        score = (
            window_score(
                positive_cents=weights[Outcome.POSITIVE],
                negative_cents=weights[Outcome.NEGATIVE],
                total_cents=total,
                penalty=params.penalty,
            )
            if minimum_met
            else None
        )
        windows.append(
            WindowResult(
                months=months,
                score=score,
                contracts=len(members),
                positive_cents=weights[Outcome.POSITIVE],
                neutral_cents=weights[Outcome.NEUTRAL],
                negative_cents=weights[Outcome.NEGATIVE],
            )
        )
    scores = [window.score for window in windows if window.score is not None]
    return JssResult(
        score=max(scores) if scores else None,
        windows=tuple(windows),
        contracts=results,
        counted_contracts=len(in_minimum),
        counted_clients=clients,
        minimum_contracts=params.minimum_contracts,
        minimum_clients=params.minimum_clients,
        next_change_at=min(upcoming, default=None),
    )


# --- what-if --------------------------------------------------------------------------------

# The best and the worst feedback a client can leave: all fives and 10, all ones and 0.
BEST_FEEDBACK = ClientFeedback(ratings_total=30, recommend=10)
WORST_FEEDBACK = ClientFeedback(ratings_total=6, recommend=0)


@dataclass(frozen=True, slots=True)
class WhatIf:
    """The score shown if a contract still without the client's feedback got the best or the
    worst: a running one ending now, having paid what it has paid so far; an ended one
    as it ended. `counts` is False when the client is flagged: their feedback would not
    count, so both are the score without it."""

    contract_id: int
    if_positive: int | None
    if_negative: int | None
    counts: bool = True


def jss_what_if(
    contracts: Sequence[ContractFacts], *, contract_id: int, now: datetime, params: JssParams
) -> WhatIf:
    """Recompute with the client's feedback on contract `contract_id` (ending it at `now`
    if it runs), first the best (positive under any valid policy), then the worst
    (negative): the same function and rules, so a contract that paid nothing still counts
    only if negative, one with a dispute decided against the freelancer is negative either
    way, and a flagged client's feedback does not count."""
    facts = next(facts for facts in contracts if facts.contract_id == contract_id)
    counts = not facts.client_flagged

    def given(feedback: ClientFeedback) -> int | None:
        changed = replace(
            facts, ended_at=facts.ended_at or now, feedback=replace(feedback, counts=counts)
        )
        others = [other for other in contracts if other.contract_id != contract_id]
        return jss_compute([*others, changed], now=now, params=params).score

    return WhatIf(
        contract_id=contract_id,
        if_positive=given(BEST_FEEDBACK),
        if_negative=given(WORST_FEEDBACK),
        counts=counts,
    )


def jss_what_ifs(
    contracts: Sequence[ContractFacts], *, now: datetime, params: JssParams
) -> dict[int, WhatIf]:
    """The what-if of every contract still waiting for the client's feedback at `now`
    (`ContractFacts.awaits_feedback`), by contract id: what the explanation offers."""
    return {
        facts.contract_id: jss_what_if(
            contracts, contract_id=facts.contract_id, now=now, params=params
        )
        for facts in contracts
        if facts.awaits_feedback(now)
    }
