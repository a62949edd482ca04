"""Job Success Score API (tag `reputation`): your own score and its explanation, the same
content as the page — every counted contract with its weight, windows and outcome class
(never a client's private number), each window's score, what moved it last, a what-if for
each contract still waiting for its client's feedback and the recent history — and your
badges, as the badges page shows them: each criterion with its required and your value."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Router, Schema

from openlance.accounts.auth import request_user
from openlance.core import clock
from openlance.core.apitools import MoneyOut, OneOf
from openlance.core.errors import InvalidInput
from openlance.core.problems import problems
from openlance.profiles.badges import Badge
from openlance.reputation.badges import Criterion, CriterionKey, Unit
from openlance.reputation.jss import Basis, Outcome
from openlance.reputation.models import BadgeChange, BadgeReason, JssChange, JssReason
from openlance.reputation.selectors import (
    BadgesExplanation,
    ContractLine,
    JssExplanation,
    badges_explanation,
    jss_explanation,
)

router = Router(tags=["reputation"])

BASES = OneOf([basis.value for basis in Basis])
OUTCOMES = OneOf([outcome.value for outcome in Outcome])
Percent = Annotated[int, Field(ge=0, le=100)]


class JssWindowOut(Schema):
    months: int
    score: Percent | None = Field(
        description="Null when the window has no counted contract, or below the minimum."
    )
    contracts: int
    weight: MoneyOut


class JssMinimumOut(Schema):
    contracts_counted: int = Field(description="Counted contracts in the largest window.")
    contracts_needed: int
    clients_counted: int = Field(description="Distinct clients of those contracts.")
    clients_needed: int
    met: bool


class JssContractOut(Schema):
    contract_id: int
    title: str
    client_id: int
    client_name: str
    started_at: datetime
    ended_at: datetime | None = Field(description="Null while the contract runs.")
    counted: bool
    basis: Annotated[str, BASES] = Field(
        description="Why it counts (feedback, long_running, repeat) or why not."
    )
    basis_label: str
    outcome: Annotated[str, OUTCOMES] | None = Field(
        description="The outcome class; null when it does not count."
    )
    weight: MoneyOut = Field(description="What it weighs in its windows (0 when not counted).")
    windows: list[int] = Field(description="The months of the windows it is in.")


class JssWhatIfOut(Schema):
    contract_id: int
    title: str
    if_positive: Percent | None = Field(
        description=(
            "The score if the client's feedback were positive, a running contract ending now "
            "(null: no score yet). Equal to if_negative when the client's feedback would not "
            "count."
        )
    )
    if_negative: Percent | None


class JssChangeOut(Schema):
    at: datetime
    old_score: Percent | None
    new_score: Percent | None
    reason: Annotated[str, OneOf(JssReason)]
    reason_label: str
    contract_id: int | None
    contract_title: str | None


class JssMovedOut(Schema):
    change: JssChangeOut
    items: list[str] = Field(description="What changed since the change before, in words.")


class JssOut(Schema):
    score: Percent | None = Field(
        description="The best window's score; null is “no score yet”, never 0%."
    )
    windows: list[JssWindowOut]
    minimum: JssMinimumOut
    contracts: list[JssContractOut] = Field(description="Counted contracts, the latest first.")
    not_counted: list[JssContractOut]
    what_if: list[JssWhatIfOut] = Field(
        description="One for each contract still waiting for its client's feedback: running, "
        "or ended with its feedback window open."
    )
    moved: JssMovedOut | None = Field(description="The latest change and what moved.")
    history: list[JssChangeOut] = Field(description="Recent changes, the latest first.")
    history_summary: str
    policy_id: int = Field(description="The JSS policy version it is computed under.")
    computed_at: datetime


def _contract(line: ContractLine) -> JssContractOut:
    result = line.result
    return JssContractOut(
        contract_id=line.info.contract_id,
        title=line.info.title,
        client_id=line.info.client_id,
        client_name=line.info.client_name,
        started_at=line.info.started_at,
        ended_at=line.info.ended_at,
        counted=result.counted,
        basis=result.basis.value,
        basis_label=line.basis_label,
        outcome=result.outcome.value if result.counted and result.outcome else None,
        weight=MoneyOut.of_cents(result.weight_cents),
        windows=list(result.windows),
    )


def _change(change: JssChange) -> JssChangeOut:
    return JssChangeOut(
        at=change.at,
        old_score=change.old_score,
        new_score=change.new_score,
        reason=change.reason,
        reason_label=str(JssReason(change.reason).label),
        contract_id=change.contract_id,
        contract_title=change.contract.title if change.contract else None,
    )


def jss_out(x: JssExplanation) -> JssOut:
    r = x.result
    return JssOut(
        score=r.score,
        windows=[
            JssWindowOut(
                months=w.months,
                score=w.score,
                contracts=w.contracts,
                weight=MoneyOut.of_cents(w.weight_cents),
            )
            for w in r.windows
        ],
        minimum=JssMinimumOut(
            contracts_counted=r.counted_contracts,
            contracts_needed=r.minimum_contracts,
            clients_counted=r.counted_clients,
            clients_needed=r.minimum_clients,
            met=r.minimum_met,
        ),
        contracts=[_contract(line) for line in x.counted],
        not_counted=[_contract(line) for line in x.not_counted],
        what_if=[
            JssWhatIfOut(
                contract_id=line.info.contract_id,
                title=line.info.title,
                if_positive=line.what_if.if_positive,
                if_negative=line.what_if.if_negative,
            )
            for line in x.awaiting_feedback
            if line.what_if is not None
        ],
        moved=JssMovedOut(change=_change(x.moved.change), items=list(x.moved.items))
        if x.moved
        else None,
        history=[_change(change) for change in x.changes],
        history_summary=x.chart.summary,
        policy_id=x.policy.pk,
        computed_at=x.now,
    )


@router.get("/me/jss", response=JssOut, summary="Your Job Success Score, explained")
def my_jss(request: HttpRequest) -> JssOut:
    """Computed now from your contracts, their payments and revealed feedback under the JSS
    policy in force, by the same function that stores the score on your profile (SPEC §11).
    Anyone signed in may ask: without freelance contracts it is “no score yet”."""
    return jss_out(jss_explanation(user=request_user(request), now=clock.now()))


# --- badges ----------------------------------------------------------------------------------

BadgeValue = Annotated[str, OneOf(Badge)]
CRITERION_KEYS = frozenset(key.value for key in CriterionKey)
CRITERIA = OneOf(sorted(CRITERION_KEYS))
UNITS = OneOf([unit.value for unit in Unit])


class BadgeCriterionOut(Schema):
    key: Annotated[str, CRITERIA]
    name: str
    unit: Annotated[str, UNITS] = Field(
        description="How to read required and actual: percent (null actual: no score yet), "
        "weeks (of `of`), days_ago (null actual: never), cents, count, yes_no (1 or 0)."
    )
    required: int
    required_label: str = Field(examples=["13 of the last 16 weeks"])
    actual: int | None = Field(description="Your value.")
    actual_label: str = Field(examples=["11 of 16 weeks"])
    of: int | None = Field(description="The weeks looked at, for unit weeks; else null.")
    met: bool


class BadgeOut(Schema):
    badge: BadgeValue
    name: str
    summary: str
    criteria_met: bool = Field(description="Every criterion is met now.")
    on_profile: bool = Field(
        description="Your profile shows it: as of the last check (daily, and whenever your "
        "score changes), so it may lag criteria_met by up to a day."
    )
    criteria: list[BadgeCriterionOut]


class BadgeChangeOut(Schema):
    badge: BadgeValue
    earned: bool = Field(description="Earned (true) or lost (false).")
    at: datetime
    reason: Annotated[str, OneOf(BadgeReason)]
    reason_label: str
    unmet: list[Annotated[str, CRITERIA]] = Field(
        description="For a badge lost: the criteria it no longer met."
    )


class BadgesOut(Schema):
    on_profile: list[BadgeValue] = Field(description="The badges your profile shows.")
    checked_at: datetime | None = Field(description="The last check; null: never checked.")
    badges: list[BadgeOut]
    history: list[BadgeChangeOut] = Field(description="Recent changes, the latest first.")
    rising_talent_grant: int = Field(
        description="Connects granted once per account, the first time Rising Talent is earned."
    )
    policy_id: int = Field(description="The JSS policy version whose badge rules apply.")
    computed_at: datetime


def _criterion(criterion: Criterion) -> BadgeCriterionOut:
    return BadgeCriterionOut(
        key=criterion.key.value,
        name=criterion.name,
        unit=criterion.unit.value,
        required=criterion.required,
        required_label=criterion.required_label,
        actual=criterion.actual,
        actual_label=criterion.actual_label,
        of=criterion.of,
        met=criterion.met,
    )


def _badge_change(change: BadgeChange) -> BadgeChangeOut:
    return BadgeChangeOut(
        badge=change.badge,
        earned=change.earned,
        at=change.at,
        reason=change.reason,
        reason_label=str(BadgeReason(change.reason).label),
        # History outlives the criteria: a key a later version no longer has is left out.
        unmet=[key for key in change.unmet if key in CRITERION_KEYS],
    )


def badges_out(x: BadgesExplanation) -> BadgesOut:
    return BadgesOut(
        on_profile=[badge.value for badge in x.stored],
        checked_at=x.computed_at,
        badges=[
            BadgeOut(
                badge=section.result.badge.value,
                name=section.result.badge.label,
                summary=section.summary,
                criteria_met=section.result.held,
                on_profile=section.shown,
                criteria=[_criterion(criterion) for criterion in section.result.criteria],
            )
            for section in x.sections
        ],
        history=[_badge_change(change) for change in x.changes],
        rising_talent_grant=x.rising_talent_grant,
        policy_id=x.policy.pk,
        computed_at=x.now,
    )


@router.get(
    "/me/badges",
    response=BadgesOut,
    summary="Your badges, criterion by criterion",
    openapi_extra=problems(422),
)
def my_badges(request: HttpRequest) -> BadgesOut:
    """Rising Talent, Top Rated and Top Rated Plus (SPEC §12): each criterion with the value
    it requires, yours and whether it is met, computed now by the same function that sets
    the badges on your profile, under the JSS policy in force. For freelancers: another
    account gets a 422 saying so."""
    user = request_user(request)
    if not user.is_freelancer:
        raise InvalidInput("Badges are for freelancers: switch on the freelancer role first.")
    return badges_out(badges_explanation(user=user, now=clock.now()))
