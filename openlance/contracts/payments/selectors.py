"""Reads over a contract's bonuses, for its two parties (the contract is scoped by the
caller through `contracts.selectors`)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from openlance.accounts.models import User
from openlance.billing.models import Payment
from openlance.contracts.models import Bonus, Contract, Expense, Refund, RefundRequest
from openlance.core.errors import NotFound, require_id


def bonuses_of(*, contract: Contract) -> QuerySet[Bonus]:
    return (
        Bonus.objects.filter(contract=contract)
        .select_related("payment")
        .order_by("-created_at", "-id")
    )


def refund_requests_of(*, contract: Contract) -> QuerySet[RefundRequest]:
    return RefundRequest.objects.filter(contract=contract).order_by("-created_at", "-id")


def refunds_of(*, contract: Contract) -> QuerySet[Refund]:
    return Refund.objects.filter(contract=contract).order_by("-created_at", "-id")


def refund_request_for(*, user: User, request_id: int) -> RefundRequest:
    """A refund request on one of the user's contracts (anyone else: 404)."""
    require_id(request_id, "refund request")
    found = (
        RefundRequest.objects.select_related("contract")
        .filter(Q(contract__client=user) | Q(contract__freelancer=user), pk=request_id)
        .first()
    )
    if found is None:
        raise NotFound("There is no such refund request.")
    return found


def payment_for(*, user: User, payment_id: int) -> tuple[Contract, Payment]:
    """A payment on one of the user's contracts, with its contract (anyone else: 404)."""
    require_id(payment_id, "payment")
    mine = Q(client=user) | Q(freelancer=user)
    contract = (
        Contract.objects.filter(mine)
        .filter(
            Q(milestone_releases__payment_id=payment_id)
            | Q(invoices__payment_id=payment_id)
            | Q(bonuses__payment_id=payment_id)
        )
        .first()
    )
    payment = Payment.objects.filter(pk=payment_id).first()
    if contract is None or payment is None:
        raise NotFound("There is no such payment.")
    return contract, payment


def expenses_of(*, contract: Contract) -> QuerySet[Expense]:
    return Expense.objects.filter(contract=contract).order_by("-created_at", "-id")


def expense_for(*, user: User, expense_id: int) -> Expense:
    """An expense on one of the user's contracts (anyone else: 404)."""
    require_id(expense_id, "expense")
    found = (
        Expense.objects.select_related("contract")
        .filter(Q(contract__client=user) | Q(contract__freelancer=user), pk=expense_id)
        .first()
    )
    if found is None:
        raise NotFound("There is no such expense.")
    return found
