"""The freelancer's Connects page: balance, plan, lots about to lapse, buying bundles and
Plus. It lives in billing because buying and Plus go through the gateway; the history page,
which only reads the Connects ledger, lives in the connects app."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from openlance.accounts.auth import request_user
from openlance.accounts.models import User
from openlance.billing.card_forms import PayWithForm
from openlance.billing.cards import pay_with, saved_cards_of
from openlance.billing.connects import bundle_price, connects_bundle_buy, connects_plus_subscribe
from openlance.billing.forms import fresh_form, retry_form
from openlance.connects.models import ConnectsAccount, Plan
from openlance.connects.selectors import (
    connects_account,
    connects_balance,
    connects_expiring_soon,
)
from openlance.connects.services import allotment_cap, connects_account_open, connects_plus_cancel
from openlance.core import clock
from openlance.core.errors import DomainError
from openlance.core.forms import add_domain_errors
from openlance.core.money import Money
from openlance.core.policies import ConnectsPolicy, connects_policy_at

EXPIRING_SOON = timedelta(days=30)


class BundleForm(PayWithForm):
    bundle = forms.TypedChoiceField(coerce=int, widget=forms.RadioSelect, label="Bundle")
    # Drawn with the form and posted back unchanged: submitting twice charges once.
    key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, policy: ConnectsPolicy, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bundle"].choices = [  # type: ignore[attr-defined]
            (size, f"{size} Connects — {Money(size * policy.connect_price_cents)}")
            for size in policy.bundles
        ]


class PlusForm(PayWithForm):
    always_save = True  # charged again every month
    key = forms.UUIDField(widget=forms.HiddenInput)


def _role_needed(request: HttpRequest) -> HttpResponse:
    return render(request, "web/role_needed.html", {"role": "freelancer"}, status=403)


def _on_plus(user: User) -> bool:
    account = connects_account(user=user)
    return account is not None and account.plan == Plan.PLUS


def _page(
    request: HttpRequest,
    *,
    bundle_form: BundleForm | None = None,
    plus_form: PlusForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request_user(request)
    account: ConnectsAccount = connects_account_open(user=user)
    policy = connects_policy_at(clock.now())
    plan = policy.plus_plan if account.plan == Plan.PLUS else policy.basic_plan
    cards = saved_cards_of(user=user)
    context = {
        "account": account,
        "balance": connects_balance(user=user),
        "policy": policy,
        "plan_terms": plan,
        "plan_cap": allotment_cap(plan),
        "basic": policy.basic_plan,
        "basic_cap": allotment_cap(policy.basic_plan),
        "plus": policy.plus_plan,
        "plus_cap": allotment_cap(policy.plus_plan),
        "connect_price_cents": policy.connect_price_cents,
        "expiring": list(connects_expiring_soon(user=user, within=EXPIRING_SOON)),
        "bundle_form": bundle_form or fresh_form(BundleForm, policy=policy, cards=cards),
        "plus_form": plus_form or fresh_form(PlusForm, cards=cards),
    }
    return render(request, "connects/home.html", context, status=status)


@login_required
@require_GET
def connects_home(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    # Someone who left the freelancer role while on Plus still gets the page to cancel it.
    if not (user.is_freelancer or _on_plus(user)):
        return _role_needed(request)
    return _page(request)


@login_required
@require_POST
def connects_buy(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not user.is_freelancer:
        return _role_needed(request)
    policy = connects_policy_at(clock.now())
    cards = saved_cards_of(user=user)
    form = BundleForm(request.POST, policy=policy, cards=cards)
    refusal: DomainError | None = None
    if form.is_valid():
        bundle = form.cleaned_data["bundle"]
        try:
            pay_with(
                user=user,
                choice=form.payment_choice(),
                pay=lambda card: connects_bundle_buy(
                    user=user,
                    bundle=bundle,
                    payment_method=card,
                    key=str(form.cleaned_data["key"]),
                ),
            )
        except DomainError as error:
            refusal = error
        else:
            price = bundle_price(bundle=bundle, when=clock.now())
            messages.success(request, f"You bought {bundle} Connects for {price}.")
            return redirect("connects_home")
    retry = retry_form(BundleForm, request.POST.dict(), policy=policy, cards=cards)
    if refusal is not None:
        add_domain_errors(retry, refusal)
    return _page(request, bundle_form=retry, status=422)


@login_required
@require_POST
def connects_plan(request: HttpRequest) -> HttpResponse:
    """`action=subscribe` (with a card) or `action=cancel`; cancelling is open to anyone
    whose account is on Plus, freelancer or not."""
    user = request_user(request)
    if request.POST.get("action") == "cancel":
        try:
            account = connects_plus_cancel(user=user)
        except DomainError as error:
            messages.error(request, error.detail)
        else:
            ends = account.next_grant_at
            messages.success(
                request,
                f"Plus is cancelled. It stays active until {ends:%B} {ends.day}, {ends.year}; "
                "then you are on Basic.",
            )
        return redirect("connects_home")
    if not user.is_freelancer:
        return _role_needed(request)
    cards = saved_cards_of(user=user)
    form = PlusForm(request.POST, cards=cards)
    refusal: DomainError | None = None
    if form.is_valid():
        try:
            pay_with(
                user=user,
                choice=form.payment_choice(),
                pay=lambda card: connects_plus_subscribe(
                    user=user, payment_method=card, key=str(form.cleaned_data["key"])
                ),
            )
        except DomainError as error:
            refusal = error
        else:
            messages.success(request, "You are on Plus. Your monthly allotment is in.")
            return redirect("connects_home")
    retry = retry_form(PlusForm, request.POST.dict(), cards=cards)
    if refusal is not None:
        add_domain_errors(retry, refusal)
    return _page(request, plus_form=retry, status=422)


urlpatterns = [
    path("", connects_home, name="connects_home"),
    path("buy/", connects_buy, name="connects_buy"),
    path("plan/", connects_plan, name="connects_plan"),
]
