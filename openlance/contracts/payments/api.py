"""Bonuses API (tag `bonuses`): the client pays one on a contract, both sides list them.
Anyone but the contract's two parties gets a 404."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from openlance.accounts.auth import request_user, scope_first
from openlance.contracts.models import Bonus, Contract
from openlance.contracts.payments import bonuses
from openlance.contracts.payments.selectors import bonuses_of
from openlance.contracts.selectors import contract_for
from openlance.core.apitools import MoneyIn, MoneyOut, Page, PageQuery, StrictSchema, paginate
from openlance.core.idempotency import HEADER

router = Router(tags=["bonuses"])


class BonusIn(StrictSchema):
    amount: MoneyIn
    note: str = Field(default="", max_length=bonuses.MAX_NOTE)
    payment_method: str = Field(
        default=bonuses.BALANCE,
        min_length=1,
        max_length=100,
        description='"balance" to pay from your funding balance, or a card token '
        "(pm_card_visa in the sandbox).",
    )


class BonusOut(Schema):
    id: int
    contract_id: int
    amount: MoneyOut = Field(description="What the freelancer is paid, before their fee.")
    marketplace_fee: MoneyOut = Field(description="What the client paid on top.")
    total: MoneyOut = Field(description="What the client paid.")
    service_fee: MoneyOut = Field(description="The freelancer's service fee on it.")
    net: MoneyOut = Field(description="What the freelancer receives, pending for 5 days.")
    note: str
    created_at: datetime


def _bonus(bonus: Bonus) -> BonusOut:
    return BonusOut(
        id=bonus.pk,
        contract_id=bonus.contract_id,
        amount=MoneyOut.of_cents(bonus.amount_cents),
        marketplace_fee=MoneyOut.of_cents(bonus.marketplace_fee_cents),
        total=MoneyOut.of_cents(bonus.total_cents),
        service_fee=MoneyOut.of_cents(bonus.payment.fee_cents),
        net=MoneyOut.of_cents(bonus.payment.net_cents),
        note=bonus.note,
        created_at=bonus.created_at,
    )


def _contract_of(request: HttpRequest, contract_id: int) -> Contract:
    return contract_for(user=request_user(request), contract_id=contract_id)


@router.post(
    "/contracts/{contract_id}/bonuses",
    response={201: BonusOut},
    summary="Pay a bonus (client)",
)
@scope_first(_contract_of)
def bonus_create(request: HttpRequest, contract_id: int, payload: BonusIn) -> Status[BonusOut]:
    """Any amount, while the contract runs or up to 365 days after it ended, plus the
    marketplace fee; the freelancer's service fee applies. Not disputable. Send an
    `Idempotency-Key`: a retried request pays once."""
    bonus = bonuses.bonus_pay(
        client=request_user(request),
        contract=_contract_of(request, contract_id),
        amount=payload.amount.to_money(),
        note=payload.note,
        payment_method=payload.payment_method,
        key=request.headers.get(HEADER, "") or uuid.uuid4().hex,
    )
    return Status(201, _bonus(bonus))


@router.get(
    "/contracts/{contract_id}/bonuses", response=Page[BonusOut], summary="A contract's bonuses"
)
@scope_first(_contract_of)
def bonus_list(request: HttpRequest, contract_id: int, query: Query[PageQuery]) -> dict[str, Any]:
    """The newest first."""
    page = paginate(bonuses_of(contract=_contract_of(request, contract_id)), query)
    page["items"] = [_bonus(bonus) for bonus in page["items"]]
    return page
