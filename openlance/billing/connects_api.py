"""The Connects API (tag `connects`): balance and plan, history, buying bundles, Plus, and
what a proposal on a job would cost. In billing because purchases and Plus charge cards."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from openlance.accounts.auth import request_user
from openlance.accounts.models import User
from openlance.billing.connects import bundle_price, connects_bundle_buy, connects_plus_subscribe
from openlance.billing.services import require_freelancer
from openlance.connects.models import ConnectsAccount, ConnectsMove, MoveKind
from openlance.connects.pricing import expected_job_value_cents, proposal_cost
from openlance.connects.selectors import connects_balance, connects_history
from openlance.connects.services import allotment_cap, connects_account_open, connects_plus_cancel
from openlance.core import clock
from openlance.core.apitools import MoneyOut, OneOf, Page, PageQuery, StrictSchema, paginate
from openlance.core.errors import require_id
from openlance.core.idempotency import HEADER
from openlance.core.models import PolicyKind
from openlance.core.money import Money
from openlance.core.policies import ConnectsPlan, connects_policy_at, policy_version_at
from openlance.core.problems import problems
from openlance.jobs.selectors import job_get

router = Router(tags=["connects"])


class PlanOut(Schema):
    name: str
    price: MoneyOut = Field(description="Per month.")
    monthly_grant: int
    rollover: bool
    balance_cap: int | None = Field(
        description="A monthly allotment never lifts the balance above this; null: no limit."
    )


class BundleOut(Schema):
    connects: int
    price: MoneyOut


class ConnectsSummaryOut(Schema):
    balance: int
    plan: Literal["basic", "plus"]
    plus_renews: bool = Field(
        description="False once Plus is cancelled (it ends on next_grant_at)."
    )
    next_grant_at: datetime = Field(description="The plan's monthly date: next allotment.")
    connect_price: MoneyOut
    bundles: list[BundleOut]
    plans: list[PlanOut]
    expiry_days: int
    policy_version_id: int


class MoveOut(Schema):
    id: int
    kind: Annotated[str, OneOf(MoveKind)]
    units: int
    balance_after: int
    description: str
    reference: str
    created_at: datetime


class PurchaseIn(StrictSchema):
    bundle: int = Field(examples=[40], description="One of the policy's bundle sizes.")
    payment_method: str = Field(
        min_length=1, max_length=120, examples=["pm_card_visa"], description="Gateway token."
    )


class PurchaseOut(Schema):
    move: MoveOut
    price: MoneyOut
    balance: int


class PlanIn(StrictSchema):
    plan: Literal["plus"] = Field(description="Subscribe to Plus; DELETE the plan to cancel.")
    payment_method: str = Field(min_length=1, max_length=120, examples=["pm_card_visa"])


class CostQuery(Schema):
    job_id: int = Field(ge=1)


class ConnectsCostOut(Schema):
    job_id: int
    connects: int
    expected_job_value: MoneyOut
    rule: str = Field(description="How the policy in force prices proposals.")
    policy_version_id: int


def _freelancer(request: HttpRequest) -> User:
    user = request_user(request)
    require_freelancer(user)
    return user


def _plan(name: str, terms: ConnectsPlan) -> PlanOut:
    return PlanOut(
        name=name,
        price=MoneyOut.of_cents(terms.price_cents),
        monthly_grant=terms.monthly_grant,
        rollover=terms.rollover,
        balance_cap=allotment_cap(terms),
    )


def _move(move: ConnectsMove) -> MoveOut:
    return MoveOut(
        id=move.pk,
        kind=move.kind,
        units=move.units,
        balance_after=move.balance_after,
        description=move.description,
        reference=move.reference,
        created_at=move.created_at,
    )


def _summary(user: User, account: ConnectsAccount) -> ConnectsSummaryOut:
    now = clock.now()
    policy = connects_policy_at(now)
    return ConnectsSummaryOut(
        balance=connects_balance(user=user),
        plan=account.plan,  # type: ignore[arg-type]
        plus_renews=account.plus_renews,
        next_grant_at=account.next_grant_at,
        connect_price=MoneyOut.of_cents(policy.connect_price_cents),
        bundles=[
            BundleOut(connects=size, price=MoneyOut.of(bundle_price(bundle=size, when=now)))
            for size in policy.bundles
        ],
        plans=[_plan("basic", policy.basic_plan), _plan("plus", policy.plus_plan)],
        expiry_days=policy.expiry_days,
        policy_version_id=policy_version_at(PolicyKind.CONNECTS, now).pk,
    )


@router.get(
    "/connects",
    response=ConnectsSummaryOut,
    summary="Your Connects, plan and prices",
    openapi_extra=problems(422),
)
def connects_get(request: HttpRequest) -> ConnectsSummaryOut:
    user = _freelancer(request)
    return _summary(user, connects_account_open(user=user))


@router.get("/connects/history", response=Page[MoveOut], summary="Your Connects history")
def connects_history_list(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    page = paginate(connects_history(user=request_user(request)), query)
    page["items"] = [_move(move) for move in page["items"]]
    return page


@router.post(
    "/connects/purchases",
    response={201: PurchaseOut},
    summary="Buy a bundle of Connects by card (send an Idempotency-Key)",
    openapi_extra=problems(402, 502),
)
def connects_purchase(request: HttpRequest, payload: PurchaseIn) -> Status[PurchaseOut]:
    user = _freelancer(request)
    key = request.headers.get(HEADER) or uuid.uuid4().hex
    move = connects_bundle_buy(
        user=user, bundle=payload.bundle, payment_method=payload.payment_method, key=key
    )
    return Status(
        201,
        PurchaseOut(
            move=_move(move),
            price=MoneyOut.of(bundle_price(bundle=payload.bundle, when=move.created_at)),
            balance=connects_balance(user=user),
        ),
    )


@router.put(
    "/connects/plan",
    response=ConnectsSummaryOut,
    summary="Subscribe to Plus; charges the first month (send an Idempotency-Key)",
    openapi_extra=problems(402, 502),
)
def connects_plan_put(request: HttpRequest, payload: PlanIn) -> ConnectsSummaryOut:
    user = _freelancer(request)
    key = request.headers.get(HEADER) or uuid.uuid4().hex
    account = connects_plus_subscribe(user=user, payment_method=payload.payment_method, key=key)
    return _summary(user, account)


@router.delete(
    "/connects/plan",
    response=ConnectsSummaryOut,
    summary="Cancel Plus: it stays until the monthly date, then Basic",
)
def connects_plan_delete(request: HttpRequest) -> ConnectsSummaryOut:
    """Open to any owner of a Plus account, also one who has left the freelancer role."""
    user = request_user(request)
    return _summary(user, connects_plus_cancel(user=user))


@router.get(
    "/connects/cost",
    response=ConnectsCostOut,
    summary="What a proposal on a job costs",
    openapi_extra=problems(404),
)
def connects_cost(request: HttpRequest, query: Query[CostQuery]) -> ConnectsCostOut:
    """The Connects a proposal on `job_id` costs under the policy in force now. Jobs you
    may not see are a 404."""
    job = job_get(job_id=require_id(query.job_id, "job"), viewer=request_user(request))
    now = clock.now()
    policy = connects_policy_at(now)
    rule = policy.proposal_cost
    if rule.type == "flat":
        described = f"flat: {rule.connects} Connects per proposal"
    else:
        steps = "; ".join(
            f"under {Money(tier.below_cents)}: {tier.connects}" for tier in rule.tiers
        )
        described = f"by expected job value: {steps}; otherwise {rule.otherwise}"
    return ConnectsCostOut(
        job_id=job.pk,
        connects=proposal_cost(job=job, policy=policy),
        expected_job_value=MoneyOut.of_cents(expected_job_value_cents(job=job, policy=policy)),
        rule=described,
        policy_version_id=policy_version_at(PolicyKind.CONNECTS, now).pk,
    )
