"""The wallet (balances, transactions, adding funds) and the public fee calculator."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from openlance.accounts.models import User
from openlance.billing import fees
from openlance.billing.forms import DepositForm, FeeQuoteForm
from openlance.billing.services import funds_deposit
from openlance.core import clock
from openlance.core.errors import DomainError, NotFound
from openlance.core.forms import add_domain_errors
from openlance.core.models import PolicyKind
from openlance.core.policies import fee_policy_at, policy_version_at
from openlance.ledger.selectors import accounts_of_user, entries_of_user

TRANSACTIONS_PER_PAGE = 20


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _fresh_deposit_form() -> DepositForm:
    return DepositForm(initial={"key": uuid.uuid4(), "payment_method": "pm_card_visa"})


def _wallet_page(request: HttpRequest, *, deposit_form: DepositForm | None = None) -> HttpResponse:
    user = _user(request)
    page = Paginator(entries_of_user(user=user), TRANSACTIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "ledger_accounts": list(accounts_of_user(user=user)),
        "page": page,
        "deposit_form": deposit_form or (_fresh_deposit_form() if user.is_client else None),
    }
    return render(request, "billing/wallet.html", context)


@login_required
@require_GET
def wallet(request: HttpRequest) -> HttpResponse:
    return _wallet_page(request)


@login_required
@require_POST
def wallet_deposit(request: HttpRequest) -> HttpResponse:
    form = DepositForm(request.POST)
    refusal: DomainError | None = None
    if form.is_valid():
        amount = form.cleaned_data["amount"]
        try:
            funds_deposit(
                user=_user(request),
                amount=amount,
                payment_method=form.cleaned_data["payment_method"],
                key=str(form.cleaned_data["key"]),
            )
        except DomainError as error:
            refusal = error
        else:
            messages.success(request, f"{amount} was added to your balance.")
            return redirect("wallet")
    # The gateway answers a reused key with its first answer (a decline stays a decline),
    # so the corrected retry gets a new key; the errors are shown again on that form.
    retry = DepositForm({**request.POST.dict(), "key": str(uuid.uuid4())})
    retry.is_valid()
    if refusal is not None:
        add_domain_errors(retry, refusal)
    return _wallet_page(request, deposit_form=retry)


def _fee_quote(form: FeeQuoteForm) -> dict[str, Any]:
    now = clock.now()
    policy = fee_policy_at(now)
    amount, before = form.cleaned_data["amount"], form.cleaned_data["lifetime_billed"]
    return {
        "freelancer": fees.freelancer_fee(
            policy.freelancer_fee, amount_cents=amount.cents, billed_before_cents=before.cents
        ),
        "client": fees.client_fees(
            policy,
            amount_cents=amount.cents,
            first_payment_of_contract=form.cleaned_data["first_payment_of_contract"],
        ),
        "version": policy_version_at(PolicyKind.FEES, now),
    }


def fee_calculator_context(data: dict[str, Any]) -> dict[str, Any]:
    """The calculator's form and quote for `data`, or for the worked example when `data`
    carries no amount, so the calculator never opens empty (also used by the policies page)."""
    form = FeeQuoteForm(data if "amount" in data else FeeQuoteForm.example())
    context: dict[str, Any] = {"fee_form": form, "quote": None, "quote_error": ""}
    if form.is_valid():
        try:
            context["quote"] = _fee_quote(form)
        except NotFound as error:
            context["quote_error"] = error.detail
    return context


@require_GET
def fee_calculator(request: HttpRequest) -> HttpResponse:
    """Public. htmx requests get only the result fragment, swapped in place."""
    context = fee_calculator_context(request.GET.dict())
    is_htmx = request.headers.get("HX-Request") == "true"
    return render(request, "billing/_fee_result.html" if is_htmx else "billing/fees.html", context)
