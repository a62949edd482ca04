"""Payments after the hire (tag `payments`): bonuses the client pays, the contract's
payments and refunds of them, and refund requests. Anyone but the contract's two parties gets
a 404."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status

from openlance.accounts.auth import request_user, scope_first
from openlance.billing.cards import BALANCE
from openlance.billing.models import Payment, PaymentKind
from openlance.contracts.models import (
    Bonus,
    Contract,
    Expense,
    ExpenseState,
    Refund,
    RefundRequest,
    RefundRequestState,
)
from openlance.contracts.payments import bonuses, expenses, refunds
from openlance.contracts.payments.selectors import (
    bonuses_of,
    expense_for,
    expenses_of,
    payment_for,
    refund_request_for,
    refund_requests_of,
    refunds_of,
)
from openlance.contracts.selectors import contract_for
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
from openlance.core.money import Money
from openlance.core.problems import problems
from openlance.messaging.selectors import message_for

router = Router(tags=["payments"])


class BonusIn(StrictSchema):
    amount: MoneyIn
    note: str = Field(default="", max_length=bonuses.MAX_NOTE)
    payment_method: str = Field(
        default=BALANCE,
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
    openapi_extra=problems(402, 502),
)
@scope_first(_contract_of)
def bonus_create(request: HttpRequest, contract_id: int, payload: BonusIn) -> Status[BonusOut]:
    """Any amount, while the contract runs or up to 365 days after it ended, plus the
    marketplace fee; the freelancer's service fee applies. Not disputable. A declined card is
    a 402 with nothing charged. Send an `Idempotency-Key`: a retried request pays once."""
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


# --- payments and refunds ------------------------------------------------------------------


class ContractPaymentOut(Schema):
    id: int
    kind: Annotated[str, OneOf(PaymentKind)]
    gross: MoneyOut
    service_fee: MoneyOut
    net: MoneyOut
    refunded: MoneyOut = Field(description="Given back to the client so far.")
    refundable: MoneyOut = Field(description="What is left to refund.")
    created_at: datetime


class RefundIn(StrictSchema):
    amount: MoneyIn
    reason: str = Field(min_length=1, max_length=refunds.MAX_REASON)


class RefundOut(Schema):
    id: int
    contract_id: int
    payment_id: int
    amount: MoneyOut
    reason: str
    created_at: datetime


class RefundRequestOut(Schema):
    id: int
    contract_id: int
    payment_id: int
    amount: MoneyOut
    reason: str
    state: Annotated[str, OneOf(RefundRequestState)]
    created_at: datetime
    answer_by: datetime = Field(description="The freelancer answers until then; then it lapses.")
    answered_at: datetime | None
    answer_note: str
    refund_id: int | None


class RefundAnswerIn(StrictSchema):
    note: str = Field(default="", max_length=refunds.MAX_REASON)


def _payment(payment: Payment) -> ContractPaymentOut:
    return ContractPaymentOut(
        id=payment.pk,
        kind=payment.kind,
        gross=MoneyOut.of_cents(payment.gross_cents),
        service_fee=MoneyOut.of_cents(payment.fee_cents),
        net=MoneyOut.of_cents(payment.net_cents),
        refunded=MoneyOut.of_cents(payment.refunded_cents),
        refundable=MoneyOut.of_cents(payment.gross_cents - payment.refunded_cents),
        created_at=payment.created_at,
    )


def _refund(refund: Refund) -> RefundOut:
    return RefundOut(
        id=refund.pk,
        contract_id=refund.contract_id,
        payment_id=refund.payment_id,
        amount=MoneyOut.of_cents(refund.amount_cents),
        reason=refund.reason,
        created_at=refund.created_at,
    )


def _request(request: RefundRequest) -> RefundRequestOut:
    return RefundRequestOut(
        id=request.pk,
        contract_id=request.contract_id,
        payment_id=request.payment_id,
        amount=MoneyOut.of_cents(request.amount_cents),
        reason=request.reason,
        state=request.state,
        created_at=request.created_at,
        answer_by=request.answer_by,
        answered_at=request.answered_at,
        answer_note=request.answer_note,
        refund_id=request.refund_id,
    )


@router.get(
    "/contracts/{contract_id}/payments",
    response=Page[ContractPaymentOut],
    summary="A contract's payments",
)
@scope_first(_contract_of)
def contract_payment_list(
    request: HttpRequest, contract_id: int, query: Query[PageQuery]
) -> dict[str, Any]:
    """Milestone releases, hourly invoices and bonuses, the newest first, with what was
    refunded of each."""
    page = paginate(refunds.contract_payments(_contract_of(request, contract_id)), query)
    page["items"] = [_payment(payment) for payment in page["items"]]
    return page


@router.get(
    "/contracts/{contract_id}/refunds", response=Page[RefundOut], summary="A contract's refunds"
)
@scope_first(_contract_of)
def refund_list(request: HttpRequest, contract_id: int, query: Query[PageQuery]) -> dict[str, Any]:
    page = paginate(refunds_of(contract=_contract_of(request, contract_id)), query)
    page["items"] = [_refund(refund) for refund in page["items"]]
    return page


def _payment_of(request: HttpRequest, payment_id: int) -> tuple[Contract, Payment]:
    return payment_for(user=request_user(request), payment_id=payment_id)


@router.post(
    "/payments/{payment_id}/refunds",
    response={201: RefundOut},
    summary="Refund a payment (freelancer)",
)
@scope_first(_payment_of)
def refund_create(request: HttpRequest, payment_id: int, payload: RefundIn) -> Status[RefundOut]:
    """All or part of a payment up to 180 days old goes back to the client's balance, with
    the service fee on it returned in proportion. Taken from your available money, then from
    this payment's pending money. Send an `Idempotency-Key`: a retry refunds once."""
    contract, payment = _payment_of(request, payment_id)
    refund = refunds.refund_make(
        freelancer=request_user(request),
        contract=contract,
        payment=payment,
        amount=payload.amount.to_money(),
        reason=payload.reason,
        key=request.headers.get(HEADER, "") or uuid.uuid4().hex,
    )
    return Status(201, _refund(refund))


@router.post(
    "/payments/{payment_id}/refund-requests",
    response={201: RefundRequestOut},
    summary="Ask for a refund (client)",
)
@scope_first(_payment_of)
def refund_request_create(
    request: HttpRequest, payment_id: int, payload: RefundIn
) -> Status[RefundRequestOut]:
    """On a payment up to 365 days old. The freelancer has 7 days to accept or reject."""
    contract, payment = _payment_of(request, payment_id)
    opened = refunds.refund_request_open(
        client=request_user(request),
        contract=contract,
        payment=payment,
        amount=payload.amount.to_money(),
        reason=payload.reason,
    )
    return Status(201, _request(opened))


@router.get(
    "/contracts/{contract_id}/refund-requests",
    response=Page[RefundRequestOut],
    summary="A contract's refund requests",
)
@scope_first(_contract_of)
def refund_request_list(
    request: HttpRequest, contract_id: int, query: Query[PageQuery]
) -> dict[str, Any]:
    page = paginate(refund_requests_of(contract=_contract_of(request, contract_id)), query)
    page["items"] = [_request(item) for item in page["items"]]
    return page


def _request_of(request: HttpRequest, request_id: int) -> RefundRequest:
    return refund_request_for(user=request_user(request), request_id=request_id)


@router.post(
    "/refund-requests/{request_id}/accept",
    response=RefundRequestOut,
    summary="Accept a refund request (freelancer)",
)
@scope_first(_request_of)
def refund_request_accept(request: HttpRequest, request_id: int) -> RefundRequestOut:
    """The requested amount is refunded as for a refund of your own."""
    answered = refunds.refund_request_accept(
        freelancer=request_user(request), request=_request_of(request, request_id)
    )
    return _request(answered)


@router.post(
    "/refund-requests/{request_id}/reject",
    response=RefundRequestOut,
    summary="Reject a refund request (freelancer)",
)
@scope_first(_request_of)
def refund_request_reject(
    request: HttpRequest, request_id: int, payload: RefundAnswerIn
) -> RefundRequestOut:
    """Say why in `note`; the client may then open a dispute."""
    answered = refunds.refund_request_reject(
        freelancer=request_user(request),
        request=_request_of(request, request_id),
        note=payload.note,
    )
    return _request(answered)


# --- expenses -------------------------------------------------------------------------------


class ExpenseOut(Schema):
    id: int
    contract_id: int
    description: str
    amount: MoneyOut
    state: Annotated[str, OneOf(ExpenseState)]
    receipt_name: str
    receipt_url: str
    marketplace_fee: MoneyOut = Field(description="What the client paid on top when funding.")
    created_at: datetime
    answered_at: datetime | None


class ExpenseFundIn(StrictSchema):
    payment_method: str = Field(
        default=BALANCE,
        min_length=1,
        max_length=100,
        description='"balance" or a card token (pm_card_visa in the sandbox).',
    )


def _expense(expense: Expense) -> ExpenseOut:
    return ExpenseOut(
        id=expense.pk,
        contract_id=expense.contract_id,
        description=expense.description,
        amount=MoneyOut.of_cents(expense.amount_cents),
        state=expense.state,
        receipt_name=expense.receipt_name,
        receipt_url=reverse("expense_receipt", args=[expense.pk]),
        marketplace_fee=MoneyOut.of_cents(expense.marketplace_fee_cents),
        created_at=expense.created_at,
        answered_at=expense.answered_at,
    )


@router.get(
    "/contracts/{contract_id}/expenses", response=Page[ExpenseOut], summary="A contract's expenses"
)
@scope_first(_contract_of)
def expense_list(request: HttpRequest, contract_id: int, query: Query[PageQuery]) -> dict[str, Any]:
    page = paginate(expenses_of(contract=_contract_of(request, contract_id)), query)
    page["items"] = [_expense(expense) for expense in page["items"]]
    return page


_EXPENSE_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["description", "amount", "receipt"],
                "properties": {
                    "description": {"type": "string", "maxLength": expenses.MAX_DESCRIPTION},
                    "amount": {
                        "type": "string",
                        "pattern": AMOUNT_PATTERN,
                        "description": 'Dollars, "12.50".',
                    },
                    "receipt": {
                        "type": "string",
                        "format": "binary",
                        "description": "PDF, JPEG, PNG, WebP or GIF; at most 10 MB.",
                    },
                    "source_message_id": {
                        "type": "integer",
                        "description": "The message of the contract's conversation it is "
                        "proposed from.",
                    },
                },
            }
        }
    },
}


@router.post(
    "/contracts/{contract_id}/expenses",
    response={201: ExpenseOut},
    summary="Propose an expense (freelancer; multipart)",
    openapi_extra={"requestBody": _EXPENSE_BODY},
)
@scope_first(_contract_of)
def expense_create(request: HttpRequest, contract_id: int) -> Status[ExpenseOut]:
    """With the receipt, checked by content. It becomes part of the contract when the
    client accepts it; the client then funds it and releases it without a service fee."""
    contract = _contract_of(request, contract_id)
    if request.content_type != "multipart/form-data":
        raise InvalidInput("Send multipart form data with a description, amount and receipt.")
    text = request.POST.get("amount", "")
    if not re.fullmatch(AMOUNT_PATTERN, text):
        raise InvalidInput(
            "Check the expense.", field_errors={"amount": ['An amount like "12.50".']}
        )
    source = request.POST.get("source_message_id", "")
    if source and not re.fullmatch(r"[0-9]{1,18}", source):
        raise InvalidInput(
            "Check the expense.", field_errors={"source_message_id": ["A message id."]}
        )
    proposed = expenses.expense_propose(
        freelancer=request_user(request),
        contract=contract,
        description=request.POST.get("description", ""),
        amount=Money.parse(text),
        receipt=request.FILES.get("receipt"),
        source_message=message_for(user=request_user(request), message_id=int(source))
        if source
        else None,
    )
    return Status(201, _expense(proposed))


def _expense_of(request: HttpRequest, expense_id: int) -> Expense:
    return expense_for(user=request_user(request), expense_id=expense_id)


def _expense_action(request: HttpRequest, expense_id: int, action: Any, **extra: Any) -> ExpenseOut:
    expense = _expense_of(request, expense_id)
    user = request_user(request)
    role = "freelancer" if action is expenses.expense_withdraw else "client"
    return _expense(action(**{role: user}, expense=expense, **extra))


@router.post(
    "/expenses/{expense_id}/accept", response=ExpenseOut, summary="Accept an expense (client)"
)
@scope_first(_expense_of)
def expense_accept(request: HttpRequest, expense_id: int) -> ExpenseOut:
    """It becomes a term of the contract: fund it, then release it."""
    return _expense_action(request, expense_id, expenses.expense_accept)


@router.post(
    "/expenses/{expense_id}/decline", response=ExpenseOut, summary="Decline an expense (client)"
)
@scope_first(_expense_of)
def expense_decline(request: HttpRequest, expense_id: int) -> ExpenseOut:
    return _expense_action(request, expense_id, expenses.expense_decline)


@router.post(
    "/expenses/{expense_id}/withdraw",
    response=ExpenseOut,
    summary="Withdraw an expense (freelancer)",
)
@scope_first(_expense_of)
def expense_withdraw(request: HttpRequest, expense_id: int) -> ExpenseOut:
    return _expense_action(request, expense_id, expenses.expense_withdraw)


@router.post(
    "/expenses/{expense_id}/fund",
    response=ExpenseOut,
    summary="Fund an expense (client)",
    openapi_extra=problems(402, 502),
)
@scope_first(_expense_of)
def expense_fund(request: HttpRequest, expense_id: int, payload: ExpenseFundIn) -> ExpenseOut:
    """Into the contract's escrow with the marketplace fee; funding it again changes nothing."""
    return _expense_action(
        request, expense_id, expenses.expense_fund, payment_method=payload.payment_method
    )


@router.post(
    "/expenses/{expense_id}/release",
    response=ExpenseOut,
    summary="Reimburse an expense (client)",
)
@scope_first(_expense_of)
def expense_release(request: HttpRequest, expense_id: int) -> ExpenseOut:
    """The whole amount to the freelancer's pending balance, without a service fee."""
    return _expense_action(request, expense_id, expenses.expense_release)
