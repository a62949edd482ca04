from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest, StreamingHttpResponse
from ninja import Field, Query, Router, Schema, Status

from openlance.accounts.auth import request_user
from openlance.accounts.models import User
from openlance.billing import cards, fees, payouts, services, wallet
from openlance.billing.models import (
    Payout,
    PayoutSchedule,
    PayoutSettings,
    PayoutStatus,
    PayoutTrigger,
    SavedCard,
    WithdrawalMethod,
    WithdrawalMethodKind,
)
from openlance.billing.selectors import lifetime_billings
from openlance.core import clock
from openlance.core.apitools import (
    AMOUNT_PATTERN,
    MoneyIn,
    MoneyOut,
    OneOf,
    Page,
    PageQuery,
    StrictSchema,
    paginate,
)
from openlance.core.errors import InvalidInput
from openlance.core.idempotency import HEADER
from openlance.core.models import PolicyKind
from openlance.core.money import Money
from openlance.core.policies import fee_policy_at, policy_version_at
from openlance.core.problems import problems
from openlance.ledger.models import AccountKind, Entry, LedgerAccount
from openlance.ledger.selectors import accounts_of_user, entries_of_user

wallet_router = Router(tags=["wallet"])
fees_router = Router(tags=["fees"])

AccountKindValue = Annotated[str, OneOf(AccountKind)]
MethodKind = Annotated[str, OneOf(WithdrawalMethodKind)]
ScheduleValue = Annotated[str, OneOf(PayoutSchedule)]


class LedgerAccountOut(Schema):
    id: int
    kind: AccountKindValue
    title: str
    balance: MoneyOut


class WalletOut(Schema):
    accounts: list[LedgerAccountOut]
    pending: MoneyOut = Field(description="Payments to you still in their security period.")
    available: MoneyOut = Field(description="Yours to withdraw.")
    client_funding: MoneyOut = Field(description="Added funds, ready to fund milestones.")
    escrow: MoneyOut = Field(description="Held in the escrow of your contracts (either side).")


class BreakdownLineOut(Schema):
    label: str
    amount: MoneyOut


class TransactionOut(Schema):
    id: int
    transfer_id: int
    kind: str
    description: str
    account_kind: AccountKindValue
    amount: MoneyOut
    balance_after: MoneyOut
    created_at: datetime
    breakdown: list[BreakdownLineOut] = Field(
        description="A payment's gross, service fee and net; a milestone funding's amount, "
        "marketplace and initiation fees; a withdrawal's amount, method fee and amount sent."
    )


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
        breakdown=[
            BreakdownLineOut(label=line.label, amount=MoneyOut.of_cents(line.cents))
            for line in wallet.fee_breakdown(entry.transfer)
        ],
    )


@wallet_router.get("/wallet", response=WalletOut, summary="Your balances")
def wallet_get(request: HttpRequest) -> WalletOut:
    user = request_user(request)
    summary = wallet.wallet_summary(user=user)
    return WalletOut(
        accounts=[_account(a) for a in accounts_of_user(user=user)],
        pending=MoneyOut.of(summary.pending),
        available=MoneyOut.of(summary.available),
        client_funding=MoneyOut.of(summary.client_funding),
        escrow=MoneyOut.of(summary.escrow),
    )


@wallet_router.get(
    "/wallet/transactions", response=Page[TransactionOut], summary="Your transactions"
)
def wallet_transactions(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    page = paginate(entries_of_user(user=request_user(request)), query)
    page["items"] = [_transaction(entry) for entry in page["items"]]
    return page


@wallet_router.get(
    "/wallet/export.csv",
    response={200: None},
    summary="Your transactions as CSV",
    openapi_extra={"responses": {200: {"content": {"text/csv": {}}, "description": "CSV"}}},
)
def wallet_export(request: HttpRequest) -> StreamingHttpResponse:
    return wallet.transactions_csv_response(user=request_user(request))


@wallet_router.post(
    "/wallet/deposits",
    response={201: DepositOut},
    summary="Add funds by card (send an Idempotency-Key)",
    openapi_extra=problems(402, 502),
)
def wallet_deposit(request: HttpRequest, payload: DepositIn) -> Status[DepositOut]:
    user = request_user(request)
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
    amount: str = Field(pattern=AMOUNT_PATTERN, examples=["600.00"])
    lifetime_billed: str = Field(
        default="0.00",
        pattern=AMOUNT_PATTERN,
        description="What the freelancer has billed this client so far, across all contracts.",
    )
    first_payment_of_contract: bool = False
    client_id: int | None = Field(
        default=None,
        gt=0,
        description=(
            "For a signed-in freelancer: quote from what they have really billed this client "
            "(their relationship's lifetime billings) instead of `lifetime_billed`."
        ),
    )


class FeeQuoteTierOut(Schema):
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
    tiers: list[FeeQuoteTierOut]
    service_fee: MoneyOut
    net: MoneyOut
    client_marketplace_fee: MoneyOut
    client_contract_initiation_fee: MoneyOut
    client_total: MoneyOut
    policy: PolicyRefOut


def _percent(basis_points: int) -> str:
    whole, frac = divmod(basis_points, 100)
    return f"{whole}.{frac:02d}"


def _billed_with(request: HttpRequest, *, client_id: int) -> Money:
    """The signed-in freelancer's own lifetime billings with a client: nothing billed and no
    such client read alike, so the answer says nothing about who exists."""
    user = request.user
    if not isinstance(user, User) or not user.is_freelancer:
        raise InvalidInput(
            "Sign in as a freelancer to quote from your own billings with a client.",
            field_errors={"client_id": ["Only for a signed-in freelancer."]},
        )
    client = User.objects.filter(pk=client_id).first()
    return lifetime_billings(freelancer=user, client=client) if client else Money(0)


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
    if query.client_id is not None:
        before = _billed_with(request, client_id=query.client_id)
    fee = fees.freelancer_fee(
        policy.freelancer_fee, amount_cents=amount.cents, billed_before_cents=before.cents
    )
    client = fees.client_fees(
        policy, amount_cents=amount.cents, first_payment_of_contract=query.first_payment_of_contract
    )
    return FeeQuoteOut(
        amount=MoneyOut.of(amount),
        lifetime_billed_before=MoneyOut.of(before),
        lifetime_billed_after=MoneyOut.of_cents(fee.billed_after_cents),
        tiers=[
            FeeQuoteTierOut(
                lower=MoneyOut.of_cents(tier.lower_cents),
                upper=None if tier.upper_cents is None else MoneyOut.of_cents(tier.upper_cents),
                rate_percent=_percent(tier.rate_bp),
                amount=MoneyOut.of_cents(tier.amount_cents),
                fee=MoneyOut.of_cents(tier.fee_cents),
            )
            for tier in fee.tiers
        ],
        service_fee=MoneyOut.of_cents(fee.fee_cents),
        net=MoneyOut.of_cents(fee.net_cents),
        client_marketplace_fee=MoneyOut.of_cents(client.marketplace_fee_cents),
        client_contract_initiation_fee=MoneyOut.of_cents(client.initiation_fee_cents),
        client_total=MoneyOut.of_cents(client.total_charged_cents),
        policy=PolicyRefOut(
            id=version.pk, label=version.label, effective_from=version.effective_from
        ),
    )


payouts_router = Router(tags=["payouts"])


class MethodKindOut(Schema):
    kind: MethodKind
    title: str
    fee: MoneyOut
    arrives: str


class MethodOut(Schema):
    id: int
    kind: MethodKind
    title: str
    last4: str = Field(description="Empty for a method without digits (PayPal).")
    shown_as: str = Field(
        examples=["PayPal j•••@example.com"], description="How the method is shown, masked."
    )
    fee: MoneyOut
    is_default: bool
    usable_from: datetime
    usable: bool
    created_at: datetime


class MethodIn(StrictSchema):
    kind: Annotated[str, OneOf(WithdrawalMethodKind, checked_by_service=True)] = Field(
        examples=["ach"]
    )
    destination: str = Field(
        min_length=1,
        max_length=120,
        examples=["ba_1NpYx2"],
        description="The payment provider's payout destination token; never an account number.",
    )
    last4: str = Field(min_length=1, max_length=8, examples=["6789"])


class PayoutSettingsOut(Schema):
    schedule: ScheduleValue
    schedule_title: str
    threshold: MoneyOut
    next_schedule_day: str


class PayoutSettingsIn(StrictSchema):
    schedule: Annotated[str, OneOf(PayoutSchedule, checked_by_service=True)] = Field(
        examples=["monthly"]
    )
    threshold: MoneyIn


class WithdrawIn(StrictSchema):
    amount: MoneyIn
    method_id: int | None = Field(default=None, description="Defaults to your default method.")


class PayoutOut(Schema):
    id: int
    status: Annotated[str, OneOf(PayoutStatus)]
    trigger: Annotated[str, OneOf(PayoutTrigger)]
    amount: MoneyOut
    fee: MoneyOut
    net: MoneyOut
    method: MethodOut
    failure_reason: str
    created_at: datetime
    sent_at: datetime | None
    closed_at: datetime | None


def _method(method: WithdrawalMethod) -> MethodOut:
    return MethodOut(
        id=method.pk,
        kind=method.kind,
        title=method.get_kind_display(),
        last4=method.last4,
        shown_as=str(method),
        fee=MoneyOut.of(payouts.method_fee(method.kind)),
        is_default=method.is_default,
        usable_from=method.usable_from,
        usable=method.usable_from <= clock.now(),
        created_at=method.created_at,
    )


def _payout(payout: Payout) -> PayoutOut:
    return PayoutOut(
        id=payout.pk,
        status=payout.status,
        trigger=payout.trigger,
        amount=MoneyOut.of_cents(payout.amount_cents),
        fee=MoneyOut.of_cents(payout.fee_cents),
        net=MoneyOut.of_cents(payout.net_cents),
        method=_method(payout.method),
        failure_reason=payout.failure_reason,
        created_at=payout.created_at,
        sent_at=payout.sent_at,
        closed_at=payout.closed_at,
    )


def _settings(settings: PayoutSettings) -> PayoutSettingsOut:
    return PayoutSettingsOut(
        schedule=settings.schedule,
        schedule_title=settings.get_schedule_display(),
        threshold=MoneyOut.of_cents(settings.threshold_cents),
        next_schedule_day=payouts.next_schedule_day(
            settings.schedule, clock.now().date()
        ).isoformat(),
    )


@payouts_router.get(
    "/payouts/method-kinds", response=list[MethodKindOut], summary="Withdrawal methods and fees"
)
def payout_method_kinds(request: HttpRequest) -> list[MethodKindOut]:
    return [
        MethodKindOut(
            kind=kind,
            title=WithdrawalMethodKind(kind).label,
            fee=MoneyOut.of_cents(terms.fee_cents),
            arrives=terms.arrives,
        )
        for kind, terms in payouts.METHOD_FEES.items()
    ]


@payouts_router.get("/payouts/methods", response=list[MethodOut], summary="Your methods")
def payout_methods(request: HttpRequest) -> list[MethodOut]:
    return [_method(m) for m in payouts.methods_of(user=request_user(request))]


@payouts_router.post(
    "/payouts/methods",
    response={201: MethodOut},
    summary="Add a withdrawal method (usable 3 days later)",
)
def payout_method_add(request: HttpRequest, payload: MethodIn) -> Status[MethodOut]:
    method = payouts.withdrawal_method_add(
        user=request_user(request),
        kind=payload.kind,
        destination=payload.destination,
        last4=payload.last4,
    )
    return Status(201, _method(method))


@payouts_router.post(
    "/payouts/methods/{method_id}/default", response=MethodOut, summary="Make it the default"
)
def payout_method_default(request: HttpRequest, method_id: int) -> MethodOut:
    return _method(
        payouts.withdrawal_method_make_default(user=request_user(request), method_id=method_id)
    )


@payouts_router.delete(
    "/payouts/methods/{method_id}", response={204: None}, summary="Remove a withdrawal method"
)
def payout_method_remove(request: HttpRequest, method_id: int) -> Status[None]:
    payouts.withdrawal_method_remove(user=request_user(request), method_id=method_id)
    return Status(204, None)


@payouts_router.get("/payouts/settings", response=PayoutSettingsOut, summary="Payout schedule")
def payout_settings_get(request: HttpRequest) -> PayoutSettingsOut:
    return _settings(payouts.payout_settings_of(user=request_user(request)))


@payouts_router.put(
    "/payouts/settings", response=PayoutSettingsOut, summary="Set the schedule and threshold"
)
def payout_settings_put(request: HttpRequest, payload: PayoutSettingsIn) -> PayoutSettingsOut:
    settings = payouts.payout_settings_update(
        user=request_user(request),
        schedule=payload.schedule,
        threshold=payload.threshold.to_money(),
    )
    return _settings(settings)


@payouts_router.post(
    "/payouts",
    response={201: PayoutOut},
    summary="Get paid now (send an Idempotency-Key)",
    openapi_extra=problems(404),
)
def payout_create(request: HttpRequest, payload: WithdrawIn) -> Status[PayoutOut]:
    key = request.headers.get(HEADER) or uuid.uuid4().hex
    payout = payouts.withdrawal_create(
        user=request_user(request),
        amount=payload.amount.to_money(),
        key=key,
        method_id=payload.method_id,
    )
    return Status(201, _payout(payout))


@payouts_router.get("/payouts", response=Page[PayoutOut], summary="Your payouts")
def payout_list(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    page = paginate(payouts.payouts_of(user=request_user(request)), query)
    page["items"] = [_payout(p) for p in page["items"]]
    return page


@payouts_router.get("/payouts/{payout_id}", response=PayoutOut, summary="One payout")
def payout_get(request: HttpRequest, payout_id: int) -> PayoutOut:
    return _payout(payouts.payout_of(user=request_user(request), payout_id=payout_id))


cards_router = Router(tags=["cards"])


class CardOut(Schema):
    id: int
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    expired: bool
    payment_method: str = Field(
        description="What to pass as `payment_method` to pay with this card."
    )
    created_at: datetime


class CardIn(StrictSchema):
    payment_method: str = Field(
        min_length=1,
        max_length=120,
        examples=["pm_card_visa"],
        description="A card token from the payment provider's card form (Stripe Elements' "
        "pm_… id; sandbox: a test token such as pm_card_visa). Never a card number.",
    )


def _card(card: SavedCard) -> CardOut:
    return CardOut(
        id=card.pk,
        brand=card.brand,
        last4=card.last4,
        exp_month=card.exp_month,
        exp_year=card.exp_year,
        expired=card.expired_at(clock.now()),
        payment_method=card.payment_method,
        created_at=card.created_at,
    )


@cards_router.get("/me/cards", response=list[CardOut], summary="Your saved cards")
def card_list(request: HttpRequest) -> list[CardOut]:
    return [_card(card) for card in cards.saved_cards_of(user=request_user(request))]


@cards_router.post("/me/cards", response={201: CardOut}, summary="Save a card")
def card_add(request: HttpRequest, payload: CardIn) -> Status[CardOut]:
    card = cards.card_save(user=request_user(request), payment_method=payload.payment_method)
    return Status(201, _card(card))


@cards_router.delete("/me/cards/{card_id}", response={204: None}, summary="Remove a saved card")
def card_remove(request: HttpRequest, card_id: int) -> Status[None]:
    cards.card_remove(user=request_user(request), card_id=card_id)
    return Status(204, None)
