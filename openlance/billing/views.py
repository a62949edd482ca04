"""The wallet (balances, transactions, adding funds) and the public fee calculator."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openlance.accounts.auth import request_user
from openlance.accounts.models import User
from openlance.billing import fees, payouts
from openlance.billing import wallet as wallet_reads
from openlance.billing.cards import pay_with, saved_cards_of
from openlance.billing.forms import DepositForm, FeeQuoteForm, fresh_form, retry_form
from openlance.billing.models import PayoutStatus, WithdrawalMethodKind
from openlance.billing.payout_forms import MethodForm, ScheduleForm, WithdrawForm
from openlance.billing.services import funds_deposit
from openlance.core import clock
from openlance.core.errors import DomainError, NotFound, require_id
from openlance.core.forms import add_domain_errors, run_form
from openlance.core.models import PolicyKind
from openlance.core.money import Money
from openlance.core.policies import fee_policy_at, policy_version_at
from openlance.ledger.selectors import entries_of_user

TRANSACTIONS_PER_PAGE = 20
PAYOUTS_PER_PAGE = 20
RECENT_PAYOUTS = 5
BILLING_LINES = 10


def _settings_context(
    user: User,
    *,
    method_form: MethodForm | None = None,
    schedule_form: ScheduleForm | None = None,
) -> dict[str, Any]:
    now = clock.now()
    settings = payouts.payout_settings_of(user=user)
    methods = payouts.methods_of(user=user)
    default = next((m for m in methods if m.is_default), None)
    return {
        "methods": [
            {
                "method": m,
                "fee": payouts.method_fee(m.kind),
                "usable": m.usable_from <= now,
            }
            for m in methods
        ],
        "method_form": method_form or MethodForm(),
        "schedule_form": schedule_form
        or ScheduleForm(
            initial={
                "schedule": settings.schedule,
                "threshold": Money(settings.threshold_cents).amount,
            }
        ),
        "payout_settings": settings,
        "default_method": default,
        "default_method_usable": default is not None and default.usable_from <= now,
        "next_schedule_day": payouts.next_schedule_day(settings.schedule, now.date()),
        "method_fees": [
            {
                "title": WithdrawalMethodKind(kind).label,
                "fee": Money(t.fee_cents),
                "arrives": t.arrives,
            }
            for kind, t in payouts.METHOD_FEES.items()
        ],
    }


def _wallet_page(
    request: HttpRequest,
    *,
    deposit_form: DepositForm | None = None,
    withdraw_form: WithdrawForm | None = None,
    method_form: MethodForm | None = None,
    schedule_form: ScheduleForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request_user(request)
    page = Paginator(entries_of_user(user=user), TRANSACTIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    rows = [
        {
            "entry": e,
            "breakdown": wallet_reads.fee_breakdown(e.transfer),
            "kind_label": e.transfer.kind.replace("_", " ").capitalize(),
        }
        for e in page.object_list
    ]
    context: dict[str, Any] = {
        "summary": wallet_reads.wallet_summary(user=user),
        "page": page,
        "rows": rows,
        "deposit_form": deposit_form
        or (fresh_form(DepositForm, cards=saved_cards_of(user=user)) if user.is_client else None),
    }
    if user.is_freelancer:
        now = clock.now()
        usable = [m for m in payouts.methods_of(user=user) if m.usable_from <= now]
        context |= _settings_context(user, method_form=method_form, schedule_form=schedule_form)
        context["withdraw_form"] = withdraw_form or fresh_form(WithdrawForm, methods=usable)
        context["recent_payouts"] = list(payouts.payouts_of(user=user)[:RECENT_PAYOUTS])
        context["earnings_chart"] = wallet_reads.earnings_chart(freelancer=user)
    if user.is_client:
        history = wallet_reads.billing_history(client=user)
        context["billing"] = [wallet_reads.billing_line(t) for t in history[:BILLING_LINES]]
        context["billing_count"] = history.count()
        context["spending_chart"] = wallet_reads.spending_chart(client=user)
    return render(request, "billing/wallet.html", context, status=status)


@login_required
@require_GET
def wallet(request: HttpRequest) -> HttpResponse:
    return _wallet_page(request)


@login_required
@require_POST
def wallet_deposit(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    cards = saved_cards_of(user=user)
    form = DepositForm(request.POST, cards=cards)
    refusal: DomainError | None = None
    if form.is_valid():
        amount = form.cleaned_data["amount"]
        try:
            pay_with(
                user=user,
                choice=form.payment_choice(),
                pay=lambda card: funds_deposit(
                    user=user, amount=amount, payment_method=card, key=str(form.cleaned_data["key"])
                ),
            )
        except DomainError as error:
            refusal = error
        else:
            messages.success(request, f"{amount} was added to your balance.")
            return redirect("wallet")
    retry = retry_form(DepositForm, request.POST.dict(), cards=cards)
    if refusal is not None:
        add_domain_errors(retry, refusal)
    return _wallet_page(request, deposit_form=retry, status=422)


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


@login_required
@require_GET
def wallet_export(request: HttpRequest) -> StreamingHttpResponse:
    """Only the signed-in user's own transactions, streamed."""
    return wallet_reads.transactions_csv_response(user=request_user(request))


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _settings_answer(
    request: HttpRequest,
    *,
    done: str = "",
    method_form: MethodForm | None = None,
    schedule_form: ScheduleForm | None = None,
) -> HttpResponse:
    """htmx swaps the settings card in place; without htmx a success goes back to the
    wallet and a refusal redraws it with the errors."""
    user = request_user(request)
    if _is_htmx(request):
        context = _settings_context(user, method_form=method_form, schedule_form=schedule_form)
        context["settings_notice"] = done
        return render(request, "billing/_payout_settings.html", context)
    if method_form is not None or schedule_form is not None:
        return _wallet_page(
            request, method_form=method_form, schedule_form=schedule_form, status=422
        )
    messages.success(request, done)
    return redirect(f"{reverse('wallet')}#payout-settings")


def _freelancer(request: HttpRequest) -> User:
    user = request_user(request)
    if not user.is_freelancer:
        raise Http404("Payouts are for freelancers.")
    return user


@login_required
@require_http_methods(["GET", "POST"])
def payout_method_add(request: HttpRequest) -> HttpResponse:
    """The form is on the wallet page: a GET (a bookmark, a reload after a failed post)
    goes there."""
    user = _freelancer(request)
    if request.method == "GET":
        return redirect(f"{reverse('wallet')}#payout-settings")
    form = MethodForm(request.POST)
    if run_form(
        form,
        lambda data: payouts.withdrawal_method_enter(
            user=user, kind=data["kind"], details=data["details"]
        ),
    ):
        return _settings_answer(request, done="Method added. It becomes active in 3 days.")
    return _settings_answer(request, method_form=form)


def _method_action(request: HttpRequest, method_id: int, action: Any, done: str) -> HttpResponse:
    user = _freelancer(request)
    try:
        action(user=user, method_id=require_id(method_id, "withdrawal method"))
    except NotFound:
        raise Http404("No such withdrawal method.") from None
    return _settings_answer(request, done=done)


@login_required
@require_POST
def payout_method_default(request: HttpRequest, method_id: int) -> HttpResponse:
    return _method_action(
        request, method_id, payouts.withdrawal_method_make_default, "Default method changed."
    )


@login_required
@require_POST
def payout_method_remove(request: HttpRequest, method_id: int) -> HttpResponse:
    return _method_action(request, method_id, payouts.withdrawal_method_remove, "Method removed.")


@login_required
@require_POST
def payout_schedule(request: HttpRequest) -> HttpResponse:
    user = _freelancer(request)
    form = ScheduleForm(request.POST)
    if run_form(
        form,
        lambda data: payouts.payout_settings_update(
            user=user, schedule=data["schedule"], threshold=data["threshold"]
        ),
    ):
        return _settings_answer(request, done="Payout schedule saved.")
    return _settings_answer(request, schedule_form=form)


@login_required
@require_POST
def withdraw(request: HttpRequest) -> HttpResponse:
    """ "Get paid now"."""
    user = _freelancer(request)
    now = clock.now()
    usable = [m for m in payouts.methods_of(user=user) if m.usable_from <= now]
    form = WithdrawForm(request.POST, methods=usable)
    refusal: DomainError | None = None
    if form.is_valid():
        try:
            payout = payouts.withdrawal_create(
                user=user,
                amount=form.cleaned_data["amount"],
                key=str(form.cleaned_data["key"]),
                method_id=form.cleaned_data["method"],
            )
        except DomainError as error:
            refusal = error
        else:
            if payout.status in {PayoutStatus.RETURNED, PayoutStatus.FAILED}:
                messages.error(
                    request,
                    f"The payout of {Money(payout.net_cents)} came back "
                    f"({payout.failure_reason.replace('_', ' ')}); the money is available again.",
                )
            else:
                messages.success(
                    request, f"{Money(payout.net_cents)} is on its way to your {payout.method}."
                )
            return redirect(f"{reverse('wallet')}#payouts")
    retry = retry_form(WithdrawForm, request.POST.dict(), methods=usable)
    if refusal is not None:
        add_domain_errors(retry, refusal)
        if "method_id" in refusal.field_errors:
            for message in refusal.field_errors["method_id"]:
                retry.add_error("method", message)
    return _wallet_page(request, withdraw_form=retry, status=422)


@login_required
@require_GET
def payout_list(request: HttpRequest) -> HttpResponse:
    user = _freelancer(request)
    page = Paginator(payouts.payouts_of(user=user), PAYOUTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "billing/payouts.html", {"page": page})
