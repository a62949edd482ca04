"""Every operator-changeable rule, as a typed schema per policy kind.

They live together in core so that one page (and one endpoint) can show every rule that
touches a user, and every layer can read them. Read them with `policy_at(kind, when)`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import cache
from itertools import pairwise
from typing import Annotated, Any, Literal

from django.db import models
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from openlance.core.errors import InvalidInput, NotFound
from openlance.core.models import Policy, PolicyKind
from openlance.core.prepared import PreparedRead, Slot

BasisPoints = Annotated[int, Field(ge=0, le=10_000)]
Cents = Annotated[int, Field(ge=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FeeTier(_Strict):
    up_to_cents: Cents | None = Field(
        description="Upper bound of lifetime billings for this tier; null for the last tier."
    )
    rate_bp: BasisPoints


class SlidingSchedule(_Strict):
    type: Literal["sliding"] = "sliding"
    tiers: list[FeeTier] = Field(min_length=1)

    @model_validator(mode="after")
    def _tiers_ascend(self) -> SlidingSchedule:
        bounds = [tier.up_to_cents for tier in self.tiers]
        if bounds[-1] is not None or any(bound is None for bound in bounds[:-1]):
            raise ValueError("only the last tier is open-ended (up_to_cents null)")
        finite = [bound for bound in bounds[:-1] if bound is not None]
        if any(b <= a for a, b in pairwise(finite)) or (finite and finite[0] <= 0):
            raise ValueError("tier bounds must be positive and strictly ascending")
        return self


class FlatSchedule(_Strict):
    type: Literal["flat"] = "flat"
    rate_bp: BasisPoints


class PerContractSchedule(_Strict):
    """A flat rate fixed on each contract when its proposal is sent."""

    type: Literal["per_contract"] = "per_contract"
    rate_bp: BasisPoints


FreelancerFeeSchedule = Annotated[
    SlidingSchedule | FlatSchedule | PerContractSchedule, Field(discriminator="type")
]


class FeePolicy(_Strict):
    freelancer_fee: FreelancerFeeSchedule
    client_marketplace_fee_bp: BasisPoints
    contract_initiation_fee_cents: Cents
    reprice_running_contracts: bool = False


class ConnectsPlan(_Strict):
    price_cents: Cents
    monthly_grant: Annotated[int, Field(ge=0)]
    rollover: bool
    rollover_cap: Annotated[int, Field(ge=0)] | None = None


class ConnectsCostTier(_Strict):
    below_cents: Annotated[int, Field(gt=0)]
    connects: Annotated[int, Field(ge=0)]


class FlatProposalCost(_Strict):
    type: Literal["flat"] = "flat"
    connects: Annotated[int, Field(ge=0)]


class TieredProposalCost(_Strict):
    type: Literal["by_job_value"] = "by_job_value"
    tiers: list[ConnectsCostTier] = Field(min_length=1)
    otherwise: Annotated[int, Field(ge=0)]

    @model_validator(mode="after")
    def _tiers_ascend(self) -> TieredProposalCost:
        # The cost is that of the first tier the job value is below, so a tier after a
        # higher one would never apply.
        bounds = [tier.below_cents for tier in self.tiers]
        if any(b <= a for a, b in pairwise(bounds)):
            raise ValueError("tier bounds (below_cents) must be strictly ascending")
        return self


Hours = Annotated[int, Field(ge=0)]


class HoursByDuration(_Strict):
    less_than_1_month: Hours = 40
    one_to_3_months: Hours = 160
    three_to_6_months: Hours = 480
    more_than_6_months: Hours = 960


class ConnectsPolicy(_Strict):
    basic_plan: ConnectsPlan
    plus_plan: ConnectsPlan
    connect_price_cents: Annotated[int, Field(gt=0)]
    bundles: list[Annotated[int, Field(gt=0)]] = Field(default=[10, 20, 40, 60, 80])
    welcome_grant: Annotated[int, Field(ge=0)]
    rising_talent_grant: Annotated[int, Field(ge=0)] = 30
    proposal_cost: Annotated[FlatProposalCost | TieredProposalCost, Field(discriminator="type")]
    hours_by_duration: HoursByDuration = HoursByDuration()
    refund_on_expiry_without_hire: bool = True
    # Ten years is beyond any plausible rule and keeps grant dates far from datetime's limit.
    expiry_days: Annotated[int, Field(gt=0, le=3_650)] = 365


Percent = Annotated[int, Field(ge=0, le=100)]
Days = Annotated[int, Field(gt=0, le=3_650)]


class BadgeRules(_Strict):
    """The numbers of the badge criteria (SPEC §12). Part of the JSS policy, so a version
    stored before badges existed still validates (with these defaults) and a change is a
    new version like any rule of the score."""

    top_rated_min_jss: Percent = 90
    top_rated_weeks: Annotated[int, Field(ge=1, le=104)] = 16
    top_rated_weeks_needed: Annotated[int, Field(ge=1, le=104)] = 13
    first_hire_days: Days = 90
    earnings_months: Annotated[int, Field(ge=1, le=120)] = 12
    top_rated_earnings_cents: Cents = 100_000
    top_rated_plus_earnings_cents: Cents = 1_000_000
    large_contract_cents: Cents = 500_000
    active_days: Days = 90

    @model_validator(mode="after")
    def _weeks_fit(self) -> BadgeRules:
        if self.top_rated_weeks_needed > self.top_rated_weeks:
            raise ValueError("top_rated_weeks_needed may not exceed top_rated_weeks")
        return self


class JssPolicy(_Strict):
    weight_min_cents: Cents = 5_000
    weight_max_cents: Cents = 500_000
    negative_penalty: Annotated[Decimal, Field(ge=0)] = Decimal("0")
    # Ten years at most keeps every window's edge far from datetime's limits.
    windows_months: list[Annotated[int, Field(gt=0, le=120)]] = Field(default=[6, 12, 24])
    minimum_contracts: Annotated[int, Field(ge=1)] = 2
    minimum_clients: Annotated[int, Field(ge=1)] = 2
    long_running_days: Annotated[int, Field(gt=0, le=3_650)] = 90
    negative_recommend_at_most: int = 5
    negative_public_below: Decimal = Decimal("3.0")
    positive_recommend_at_least: int = 9
    positive_public_at_least: Decimal = Decimal("4.5")
    badges: BadgeRules = BadgeRules()

    @model_validator(mode="after")
    def _weights_ordered(self) -> JssPolicy:
        if self.weight_min_cents > self.weight_max_cents:
            raise ValueError("weight_min_cents may not exceed weight_max_cents")
        # The largest window is also "the last 24 months" of the minimum (SPEC §11).
        if not self.windows_months or any(b <= a for a, b in pairwise(self.windows_months)):
            raise ValueError("windows_months must be non-empty and strictly ascending")
        if self.negative_recommend_at_most >= self.positive_recommend_at_least:
            raise ValueError("a recommend score cannot be both negative and positive")
        if self.negative_public_below > self.positive_public_at_least:
            raise ValueError("a public rating cannot be both negative and positive")
        return self


Weight = Annotated[Decimal, Field(gt=0, le=100)]
Factor = Annotated[Decimal, Field(ge=0, le=1)]


class RankingPolicy(_Strict):
    """Best match = text relevance x quality (SPEC §4.1). Relevance weighs where the words
    are found; quality is base + per_jss_point x JSS for freelancers with a score, and
    `without_score` for those without one so new freelancers are not buried."""

    title_weight: Weight = Decimal("3")
    skills_weight: Weight = Decimal("2")
    overview_weight: Weight = Decimal("1")
    quality_base: Factor = Decimal("0.6")
    quality_jss_share: Factor = Decimal("0.4")
    quality_without_score: Factor = Decimal("0.8")

    @model_validator(mode="after")
    def _title_outranks(self) -> RankingPolicy:
        if not self.title_weight >= self.skills_weight >= self.overview_weight:
            raise ValueError("weights must keep title >= skills >= overview")
        return self


POLICY_SCHEMAS: dict[str, type[_Strict]] = {
    PolicyKind.FEES: FeePolicy,
    PolicyKind.CONNECTS: ConnectsPolicy,
    PolicyKind.JSS: JssPolicy,
    PolicyKind.RANKING: RankingPolicy,
}


def policy_schema(kind: str) -> type[_Strict]:
    try:
        return POLICY_SCHEMAS[kind]
    except KeyError:
        raise NotFound(f"There is no policy kind {kind!r}.") from None


@cache
def policy_json_schema(kind: str) -> dict[str, Any]:
    """The JSON schema of `kind`'s parameters, as `GET /api/v1/policies` publishes it. It is
    fixed by the code, so it is built once per process: building it on every request was
    two thirds of `GET /api/v1/policies`. Callers must not change what it returns."""
    return policy_schema(kind).model_json_schema()


def parse_params(kind: str, params: object) -> _Strict:
    schema = policy_schema(kind)
    try:
        return schema.model_validate(params)
    except ValidationError as exc:
        errors: dict[str, list[str]] = {}
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"]) or "params"
            errors.setdefault(field, []).append(error["msg"])
        raise InvalidInput(
            f"The {kind} policy parameters are invalid.", field_errors=errors
        ) from exc


def _not_in_force(kind: str, when: datetime) -> NotFound:
    return NotFound(f"No {kind} policy is in force at {when.isoformat()}.")


def policy_version_at(kind: str, when: datetime) -> Policy:
    policy_schema(kind)
    version = (
        Policy.objects.filter(kind=kind, effective_from__lte=when)
        .order_by("-effective_from")
        .first()
    )
    if version is None:
        raise _not_in_force(kind, when)
    return version


_IN_FORCE = PreparedRead(
    lambda: (
        Policy.objects.filter(
            kind=Slot("kind", models.CharField()),
            effective_from__lte=Slot("when", models.DateTimeField()),
        )
        .order_by("-effective_from")
        .values_list("pk", "params")[:1]
    )
)


def policy_in_force(kind: str, when: datetime) -> tuple[int, _Strict]:
    """The id and parameters of the version of `kind` in force at `when` (latest effective
    ≤ when): a prepared read, as every search and every money movement asks for one."""
    policy_schema(kind)
    found = _IN_FORCE.rows(kind=kind, when=when)
    if not found:
        raise _not_in_force(kind, when)
    version_id, params = found[0]
    return version_id, parse_params(kind, params)


def policy_at(kind: str, when: datetime) -> _Strict:
    """The parameters of the version of `kind` in force at `when`."""
    return policy_in_force(kind, when)[1]


def fee_policy_at(when: datetime) -> FeePolicy:
    policy = policy_at(PolicyKind.FEES, when)
    assert isinstance(policy, FeePolicy)
    return policy


def connects_policy_at(when: datetime) -> ConnectsPolicy:
    policy = policy_at(PolicyKind.CONNECTS, when)
    assert isinstance(policy, ConnectsPolicy)
    return policy


def jss_policy_at(when: datetime) -> JssPolicy:
    policy = policy_at(PolicyKind.JSS, when)
    assert isinstance(policy, JssPolicy)
    return policy


def ranking_policy_at(when: datetime) -> RankingPolicy:
    policy = policy_at(PolicyKind.RANKING, when)
    assert isinstance(policy, RankingPolicy)
    return policy
