"""The badges (SPEC §12) as a pure function: a freelancer's facts, a moment and the rules'
numbers in; for each badge every criterion with its name, the value it requires, the
freelancer's value and whether it is met, and the badges held, out. No database and no
clock: the service that stores the badges, the owner's page, the API and the benchmark all
call this same function.

The criteria, and how each reads its facts:

- **Rising Talent**: no Job Success Score yet; profile 100% complete; location verified;
  active in the last `active_days` (90) days; no contract with a negative outcome.
- **Top Rated**: JSS at least `top_rated_min_jss` (90) now, and in at least
  `top_rated_weeks_needed` (13) of the last `top_rated_weeks` (16) weekly snapshots; first
  hired more than `first_hire_days` (90) days ago; at least `top_rated_earnings_cents`
  ($1,000) earned in the last `earnings_months` (12) months; profile 100% complete; no
  account hold.
- **Top Rated Plus**: Top Rated; at least `top_rated_plus_earnings_cents` ($10,000) earned
  in those months; and one contract that earned at least `large_contract_cents` ($5,000)
  in them without a negative outcome.

Readings where the SPEC leaves room: the "last 16 weekly snapshots" are those of the 16
weeks (Monday 00:00 UTC) up to and including the current one; a week without a snapshot, or
whose snapshot has no score, is not at 90%. Earnings are what the payments made in the
window paid (gross less what was refunded of them), per contract for the large contract.
A negative outcome is the JSS's outcome class, for any contract, even one aged out of the
score's windows. "Active" is the latest of: signing in, sending a proposal, a contract
ending, or now while a contract runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from openlance.core.money import Money
from openlance.profiles.badges import Badge

if TYPE_CHECKING:
    from openlance.core.policies import BadgeRules

COMPLETE = 100


class CriterionKey(StrEnum):
    NO_SCORE = "no_score"
    PROFILE_COMPLETE = "profile_complete"
    LOCATION_VERIFIED = "location_verified"
    ACTIVE = "active"
    NO_NEGATIVE_OUTCOME = "no_negative_outcome"
    JSS_NOW = "jss_now"
    JSS_WEEKS = "jss_weeks"
    FIRST_HIRE = "first_hire"
    EARNINGS = "earnings"
    NO_HOLD = "no_hold"
    TOP_RATED = "top_rated"
    EARNINGS_PLUS = "earnings_plus"
    LARGE_CONTRACT = "large_contract"


@dataclass(frozen=True, slots=True)
class BadgeParams:
    """The `BadgeRules` of a JSS policy version, as plain numbers (the SPEC §12 defaults)."""

    top_rated_min_jss: int = 90
    top_rated_weeks: int = 16
    top_rated_weeks_needed: int = 13
    first_hire: timedelta = timedelta(days=90)
    earnings_months: int = 12
    top_rated_earnings_cents: int = 100_000
    top_rated_plus_earnings_cents: int = 1_000_000
    large_contract_cents: int = 500_000
    active: timedelta = timedelta(days=90)

    @classmethod
    def of(cls, rules: BadgeRules) -> BadgeParams:
        return cls(
            top_rated_min_jss=rules.top_rated_min_jss,
            top_rated_weeks=rules.top_rated_weeks,
            top_rated_weeks_needed=rules.top_rated_weeks_needed,
            first_hire=timedelta(days=rules.first_hire_days),
            earnings_months=rules.earnings_months,
            top_rated_earnings_cents=rules.top_rated_earnings_cents,
            top_rated_plus_earnings_cents=rules.top_rated_plus_earnings_cents,
            large_contract_cents=rules.large_contract_cents,
            active=timedelta(days=rules.active_days),
        )


@dataclass(frozen=True, slots=True)
class ContractEarning:
    """What one contract paid in the earnings window, and whether its outcome is negative."""

    contract_id: int
    earned_cents: int
    negative: bool = False


@dataclass(frozen=True, slots=True)
class BadgeFacts:
    """What the badges read of one freelancer. `jss` is the stored score (None: no score
    yet); `weekly_scores` the snapshots by week start (Monday); `contracts` the contracts
    that paid something in the earnings window; `negative_outcomes` the contracts with a
    negative outcome; `last_active_at` None when never active."""

    jss: int | None = None
    weekly_scores: Mapping[date, int | None] | None = None
    first_hired_at: datetime | None = None
    contracts: tuple[ContractEarning, ...] = ()
    negative_outcomes: int = 0
    profile_percent: int = 0
    location_verified: bool = False
    last_active_at: datetime | None = None
    on_hold: bool = False

    @property
    def earnings_cents(self) -> int:
        return sum(contract.earned_cents for contract in self.contracts)


class Unit(StrEnum):
    """How a criterion's numbers read: the page and the API word them by it."""

    PERCENT = "percent"  # a score or a completeness, 0-100; None: no score
    WEEKS = "weeks"  # weekly snapshots at the minimum, of `of`
    DAYS_AGO = "days_ago"  # days since a moment; None: never
    CENTS = "cents"
    COUNT = "count"
    YES_NO = "yes_no"  # 1 yes, 0 no


@dataclass(frozen=True, slots=True)
class Criterion:
    key: CriterionKey
    name: str
    unit: Unit
    required: int
    actual: int | None
    met: bool
    of: int | None = None  # the weeks looked at, for WEEKS

    @property
    def required_label(self) -> str:
        return _label(self.unit, self.required, self.of, required=True, key=self.key)

    @property
    def actual_label(self) -> str:
        return _label(self.unit, self.actual, self.of, required=False, key=self.key)


def _label(
    unit: Unit, value: int | None, of: int | None, *, required: bool, key: CriterionKey
) -> str:
    if unit == Unit.PERCENT:
        if value is None or (required and key == CriterionKey.NO_SCORE):
            return "No score yet"
        return f"{value}%{' or more' if required and value < COMPLETE else ''}"
    if unit == Unit.WEEKS:
        if required:
            return f"{value} of the last {of} weeks"
        return f"{value} of {of} weeks"
    if unit == Unit.DAYS_AGO:
        if required:
            if key == CriterionKey.FIRST_HIRE:
                return f"More than {value} days ago"
            return f"Within the last {value} days"
        if value is None:
            return "Never"
        return "Today" if value == 0 else f"{value} day{'s' if value != 1 else ''} ago"
    if unit == Unit.CENTS:
        shown = str(Money(value or 0))
        return f"{shown} or more" if required else shown
    if unit == Unit.COUNT:
        count = value or 0
        return "None" if count == 0 else f"{count} contract{'s' if count != 1 else ''}"
    return "Yes" if value else "No"


@dataclass(frozen=True, slots=True)
class BadgeResult:
    badge: Badge
    criteria: tuple[Criterion, ...]

    @property
    def held(self) -> bool:
        return all(criterion.met for criterion in self.criteria)

    @property
    def met_count(self) -> int:
        return sum(criterion.met for criterion in self.criteria)

    @property
    def unmet(self) -> tuple[CriterionKey, ...]:
        return tuple(criterion.key for criterion in self.criteria if not criterion.met)


@dataclass(frozen=True, slots=True)
class BadgesResult:
    badges: tuple[BadgeResult, ...]  # in the enum's order

    @property
    def held(self) -> tuple[Badge, ...]:
        return tuple(result.badge for result in self.badges if result.held)

    def of(self, badge: Badge) -> BadgeResult:
        return next(result for result in self.badges if result.badge == badge)


def week_start(moment: datetime) -> date:
    """The Monday (UTC) of the week `moment` is in: the date a weekly snapshot is kept under."""
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


@lru_cache(maxsize=64)  # a run computes every freelancer's badges at one moment
def snapshot_weeks(now: datetime, weeks: int) -> tuple[date, ...]:
    """The week starts of the last `weeks` weekly snapshots at `now`, the current week's
    first."""
    current = week_start(now)
    return tuple(current - timedelta(weeks=back) for back in range(weeks))


def _days_since(moment: datetime | None, now: datetime) -> int | None:
    return None if moment is None else max(0, (now - moment).days)


@cache
def _names(p: BadgeParams) -> dict[CriterionKey, str]:
    """The criteria's names under `p`: the same for every freelancer, so made once."""
    months = p.earnings_months
    return {
        CriterionKey.NO_SCORE: "No Job Success Score yet",
        CriterionKey.PROFILE_COMPLETE: "Profile 100% complete",
        CriterionKey.LOCATION_VERIFIED: "Location verified",
        CriterionKey.ACTIVE: f"Active in the last {p.active.days} days",
        CriterionKey.NO_NEGATIVE_OUTCOME: "No contract with a negative outcome",
        CriterionKey.JSS_NOW: f"Job Success Score of {p.top_rated_min_jss}% or more now",
        CriterionKey.JSS_WEEKS: f"{p.top_rated_min_jss}% or more in {p.top_rated_weeks_needed} "
        f"of the last {p.top_rated_weeks} weekly snapshots",
        CriterionKey.FIRST_HIRE: f"First hired more than {p.first_hire.days} days ago",
        CriterionKey.EARNINGS: f"{Money(p.top_rated_earnings_cents)} earned in the last "
        f"{months} months",
        CriterionKey.NO_HOLD: "No hold on the account",
        CriterionKey.TOP_RATED: "Top Rated",
        CriterionKey.EARNINGS_PLUS: f"{Money(p.top_rated_plus_earnings_cents)} earned in the "
        f"last {months} months",
        CriterionKey.LARGE_CONTRACT: f"One contract that earned {Money(p.large_contract_cents)} "
        f"or more in the last {months} months, without a negative outcome",
    }


def badges_compute(facts: BadgeFacts, *, now: datetime, params: BadgeParams) -> BadgesResult:
    """Every badge's criteria for `facts` at `now` under `params` (see the module)."""
    p = params
    names = _names(p)
    complete = Criterion(
        CriterionKey.PROFILE_COMPLETE,
        names[CriterionKey.PROFILE_COMPLETE],
        Unit.PERCENT,
        COMPLETE,
        facts.profile_percent,
        facts.profile_percent >= COMPLETE,
    )
    weeks = snapshot_weeks(now, p.top_rated_weeks)
    scores = facts.weekly_scores or {}
    weeks_at_min = sum(
        1
        for week in weeks
        if (score := scores.get(week)) is not None and score >= p.top_rated_min_jss
    )
    earned = facts.earnings_cents
    best_large = max(
        (c.earned_cents for c in facts.contracts if not c.negative),
        default=0,
    )
    rising = BadgeResult(
        Badge.RISING_TALENT,
        (
            Criterion(
                CriterionKey.NO_SCORE,
                names[CriterionKey.NO_SCORE],
                Unit.PERCENT,
                0,
                facts.jss,
                facts.jss is None,
            ),
            complete,
            Criterion(
                CriterionKey.LOCATION_VERIFIED,
                names[CriterionKey.LOCATION_VERIFIED],
                Unit.YES_NO,
                1,
                int(facts.location_verified),
                facts.location_verified,
            ),
            Criterion(
                CriterionKey.ACTIVE,
                names[CriterionKey.ACTIVE],
                Unit.DAYS_AGO,
                p.active.days,
                _days_since(facts.last_active_at, now),
                facts.last_active_at is not None and now - facts.last_active_at <= p.active,
            ),
            Criterion(
                CriterionKey.NO_NEGATIVE_OUTCOME,
                names[CriterionKey.NO_NEGATIVE_OUTCOME],
                Unit.COUNT,
                0,
                facts.negative_outcomes,
                facts.negative_outcomes == 0,
            ),
        ),
    )
    top = BadgeResult(
        Badge.TOP_RATED,
        (
            Criterion(
                CriterionKey.JSS_NOW,
                names[CriterionKey.JSS_NOW],
                Unit.PERCENT,
                p.top_rated_min_jss,
                facts.jss,
                facts.jss is not None and facts.jss >= p.top_rated_min_jss,
            ),
            Criterion(
                CriterionKey.JSS_WEEKS,
                names[CriterionKey.JSS_WEEKS],
                Unit.WEEKS,
                p.top_rated_weeks_needed,
                weeks_at_min,
                weeks_at_min >= p.top_rated_weeks_needed,
                of=p.top_rated_weeks,
            ),
            Criterion(
                CriterionKey.FIRST_HIRE,
                names[CriterionKey.FIRST_HIRE],
                Unit.DAYS_AGO,
                p.first_hire.days,
                _days_since(facts.first_hired_at, now),
                facts.first_hired_at is not None and now - facts.first_hired_at > p.first_hire,
            ),
            Criterion(
                CriterionKey.EARNINGS,
                names[CriterionKey.EARNINGS],
                Unit.CENTS,
                p.top_rated_earnings_cents,
                earned,
                earned >= p.top_rated_earnings_cents,
            ),
            complete,
            Criterion(
                CriterionKey.NO_HOLD,
                names[CriterionKey.NO_HOLD],
                Unit.YES_NO,
                1,
                int(not facts.on_hold),
                not facts.on_hold,
            ),
        ),
    )
    plus = BadgeResult(
        Badge.TOP_RATED_PLUS,
        (
            Criterion(
                CriterionKey.TOP_RATED,
                names[CriterionKey.TOP_RATED],
                Unit.YES_NO,
                1,
                int(top.held),
                top.held,
            ),
            Criterion(
                CriterionKey.EARNINGS_PLUS,
                names[CriterionKey.EARNINGS_PLUS],
                Unit.CENTS,
                p.top_rated_plus_earnings_cents,
                earned,
                earned >= p.top_rated_plus_earnings_cents,
            ),
            Criterion(
                CriterionKey.LARGE_CONTRACT,
                names[CriterionKey.LARGE_CONTRACT],
                Unit.CENTS,
                p.large_contract_cents,
                best_large,
                best_large >= p.large_contract_cents,
            ),
        ),
    )
    return BadgesResult((rising, top, plus))
