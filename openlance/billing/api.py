from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from openlance.accounts.models import User
from openlance.billing import fees, services
from openlance.core import clock
from openlance.core.apitools import MoneyIn, MoneyOut, Page, PageQuery, StrictSchema, paginate
from openlance.core.idempotency import HEADER
from openlance.core.models import PolicyKind
from openlance.core.money import Money
from openlance.core.policies import fee_policy_at, policy_version_at
from openlance.ledger.models import Entry, LedgerAccount
from openlance.ledger.selectors import accounts_of_user, entries_of_user

wallet_router = Router(tags=["wallet"])
fees_router = Router(tags=["fees"])


class LedgerAccountOut(Schema):
    id: int
    kind: str
    title: str
    balance: MoneyOut


class WalletOut(Schema):
    accounts: list[LedgerAccountOut]


class TransactionOut(Schema):
    id: int
    transfer_id: int
    kind: str
    description: str
    account_kind: str
    amount: MoneyOut
    balance_after: MoneyOut
    created_at: datetime


class DepositIn(StrictSchema):
    amount: MoneyIn
    payment_method: str = Field(
        min_length=1, max_length=120, examples=["pm_card_visa"], description="Gateway token."
    )


class DepositOut(Schema):
    transfer_id: int
    amount: MoneyOut
    balance: MoneyOut
    created_at: datetime


def _account(account: LedgerAccount) -> LedgerAccountOut:
    return LedgerAccountOut(
        id=account.pk,
        kind=account.kind,
        title=account.get_kind_display(),
        balance=MoneyOut.of(Money(account.balance_cents, account.currency)),
    )


def _transaction(entry: Entry) -> TransactionOut:
    return TransactionOut(
        id=entry.pk,
        transfer_id=entry.transfer_id,
        kind=entry.transfer.kind,
        description=entry.transfer.description,
        account_kind=entry.account.kind,
        amount=MoneyOut.of(Money(entry.amount_cents, entry.currency)),
        balance_after=MoneyOut.of(Money(entry.balance_after_cents, entry.currency)),
        created_at=entry.transfer.created_at,
    )


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@wallet_router.get("/wallet", response=WalletOut, summary="Your balances")
def wallet_get(request: HttpRequest) -> WalletOut:
    return WalletOut(accounts=[_account(a) for a in accounts_of_user(user=_user(request))])


@wallet_router.get(
    "/wallet/transactions", response=Page[TransactionOut], summary="Your transactions"
)
def wallet_transactions(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    page = paginate(entries_of_user(user=_user(request)), query)
    page["items"] = [_transaction(entry) for entry in page["items"]]
    return page


@wallet_router.post(
    "/wallet/deposits",
    response={201: DepositOut},
    summary="Add funds by card (send an Idempotency-Key)",
)
def wallet_deposit(request: HttpRequest, payload: DepositIn) -> Status[DepositOut]:
    user = _user(request)
    key = request.headers.get(HEADER) or uuid.uuid4().hex
    transfer = services.funds_deposit(
        user=user, amount=payload.amount.to_money(), payment_method=payload.payment_method, key=key
    )
    entry = transfer.entries.select_related("account").get(account__owner=user)
    return Status(
        201,
        DepositOut(
            transfer_id=transfer.pk,
            amount=MoneyOut.of(Money(entry.amount_cents, entry.currency)),
            balance=MoneyOut.of(Money(entry.balance_after_cents, entry.currency)),
            created_at=transfer.created_at,
        ),
    )


class FeeQuoteQuery(Schema):
    amount: str = Field(pattern=r"^\d{1,12}(\.\d{1,2})?$", examples=["600.00"])
    lifetime_billed: str = Field(
        default="0.00",
        pattern=r"^\d{1,12}(\.\d{1,2})?$",
        description="What the freelancer has billed this client so far, across all contracts.",
    )
    first_payment_of_contract: bool = False


class TierOut(Schema):
    lower: MoneyOut
    upper: MoneyOut | None
    rate_percent: str
    amount: MoneyOut
    fee: MoneyOut


class PolicyRefOut(Schema):
    id: int
    label: str
    effective_from: datetime


class FeeQuoteOut(Schema):
    amount: MoneyOut
    lifetime_billed_before: MoneyOut
    lifetime_billed_after: MoneyOut
    tiers: list[TierOut]
    service_fee: MoneyOut
    net: MoneyOut
    client_marketplace_fee: MoneyOut
    client_contract_initiation_fee: MoneyOut
    client_total: MoneyOut
    policy: PolicyRefOut


def _percent(basis_points: int) -> str:
    whole, frac = divmod(basis_points, 100)
    return f"{whole}.{frac:02d}"


@fees_router.get(
    "/fees/quote", response=FeeQuoteOut, auth=None, summary="Quote the fees on a payment"
)
def fees_quote(request: HttpRequest, query: Query[FeeQuoteQuery]) -> FeeQuoteOut:
    """The service fee the freelancer pays on a payment of `amount` given what they have
    billed this client before, split per tier, and what the client pays on top — under the
    fee policy in force now."""
    now = clock.now()
    policy = fee_policy_at(now)
    version = policy_version_at(PolicyKind.FEES, now)
    amount = Money.parse(query.amount)
    before = Money.parse(query.lifetime_billed)
    fee = fees.freelancer_fee(
        policy.freelancer_fee, amount_cents=amount.cents, billed_before_cents=before.cents
    )
    client = fees.client_fees(
        policy, amount_cents=amount.cents, first_payment_of_contract=query.first_payment_of_contract
    )
    return FeeQuoteOut(
        amount=MoneyOut.of(amount),
        lifetime_billed_before=MoneyOut.of(before),
        lifetime_billed_after=MoneyOut.of(Money(fee.billed_after_cents)),
        tiers=[
            TierOut(
                lower=MoneyOut.of(Money(tier.lower_cents)),
                upper=None if tier.upper_cents is None else MoneyOut.of(Money(tier.upper_cents)),
                rate_percent=_percent(tier.rate_bp),
                amount=MoneyOut.of(Money(tier.amount_cents)),
                fee=MoneyOut.of(Money(tier.fee_cents)),
            )
            for tier in fee.tiers
        ],
        service_fee=MoneyOut.of(Money(fee.fee_cents)),
        net=MoneyOut.of(Money(fee.net_cents)),
        client_marketplace_fee=MoneyOut.of(Money(client.marketplace_fee_cents)),
        client_contract_initiation_fee=MoneyOut.of(Money(client.initiation_fee_cents)),
        client_total=MoneyOut.of(Money(client.total_charged_cents)),
        policy=PolicyRefOut(
            id=version.pk, label=version.label, effective_from=version.effective_from
        ),
    )
