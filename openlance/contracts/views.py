"""The contract room (/contracts/<id>/): terms, milestones and their money, the actions of
each side, submissions with their files, amendments. Milestone actions answer htmx with the
milestones section re-rendered (errors in place), and plain posts with a redirect."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from openlance.accounts.auth import request_user
from openlance.accounts.models import User
from openlance.billing.cards import pay_with, saved_cards_of
from openlance.billing.models import Payment, SavedCard
from openlance.billing.selectors import next_fee_rate_bp, relationship_between
from openlance.contracts import amendments, endings, selectors
from openlance.contracts.common import contract_topic
from openlance.contracts.forms import (
    AmendmentForm,
    ApproveForm,
    ChangesForm,
    FundForm,
    HourlyTermsForm,
    MilestoneChangeForm,
    SubmitForm,
)
from openlance.contracts.hourly.weeks import week_of
from openlance.contracts.milestones import funding, release, submissions
from openlance.contracts.milestones.disputed import can_open_dispute
from openlance.contracts.milestones.states import OPEN_MILESTONE_STATES
from openlance.contracts.models import (
    MILESTONE_TRANSITIONS,
    OPEN_EXPENSE_STATES,
    AmendmentKind,
    AmendmentState,
    Contract,
    ContractKind,
    ContractState,
    Expense,
    ExpenseState,
    Milestone,
    MilestoneState,
    OfferState,
)
from openlance.contracts.offers.selectors import offers_of
from openlance.contracts.payments import bonuses, expenses, refunds
from openlance.contracts.payments.bonuses import bonus_allowed
from openlance.contracts.payments.forms import BonusForm, ExpenseForm, RefundForm, RefundRejectForm
from openlance.contracts.payments.selectors import (
    bonuses_of,
    expense_for,
    expenses_of,
    refund_request_for,
    refund_requests_of,
    refunds_of,
)
from openlance.contracts.pricing import ContractPricing, contract_pricing
from openlance.contracts.terms import with_rate_of_week
from openlance.core import clock
from openlance.core.downloads import stored_download
from openlance.core.errors import DomainError, InvalidInput, NotFound
from openlance.core.forms import run_form
from openlance.core.money import Money
from openlance.core.text import sentence
from openlance.ledger.models import AccountKind, LedgerAccount
from openlance.ledger.services import account_code
from openlance.messaging.models import Message
from openlance.messaging.selectors import conversation_by_topic, message_for
from openlance.messaging.services import conversation_open

FORMS: dict[str, type[forms.Form]] = {
    "fund": FundForm,
    "submit": SubmitForm,
    "approve": ApproveForm,
    "changes": ChangesForm,
}


def _contract(user: User, contract_id: int) -> Contract:
    try:
        return selectors.contract_for(user=user, contract_id=contract_id)
    except NotFound as missing:
        raise Http404(missing.detail) from None


def _milestone(user: User, milestone_id: int) -> Milestone:
    try:
        return selectors.milestone_for(user=user, milestone_id=milestone_id)
    except NotFound as missing:
        raise Http404(missing.detail) from None


def _form(
    name: str,
    milestone: Milestone,
    cards: Sequence[SavedCard],
    data: Any = None,
    files: Any = None,
) -> forms.Form:
    """A milestone's form; `cards` are the client's saved cards, for the funding form."""
    prefix = f"m{milestone.pk}"
    if name == "submit":
        return SubmitForm(data, files, milestone=milestone, prefix=prefix)
    if name == "fund":
        return FundForm(data, prefix=prefix, cards=cards)
    return FORMS[name](data, prefix=prefix)


def _expense_fund_form(expense: Expense, cards: Sequence[SavedCard], data: Any = None) -> FundForm:
    return FundForm(data, prefix=f"e{expense.pk}", cards=cards)


def _client_balance(contract: Contract) -> Money:
    code = account_code(kind=AccountKind.CLIENT_FUNDING, owner=contract.client)
    cents = LedgerAccount.objects.filter(code=code).values_list("balance_cents", flat=True).first()
    return Money(cents or 0)


def _billed_together(contract: Contract, pricing: ContractPricing) -> dict[str, Any]:
    """What the freelancer has billed this client across all their contracts (SPEC §8.2),
    and the service fee rate the next payment starts at."""
    relationship = relationship_between(freelancer=contract.freelancer, client=contract.client)
    billed = relationship.gross_cents if relationship is not None else 0
    schedule = pricing.policy.freelancer_fee
    return {
        "relationship": relationship,
        "next_fee_percent": format(next_fee_rate_bp(schedule, billed_cents=billed) / 100, "g"),
        "marketplace_fee_percent": format(pricing.policy.client_marketplace_fee_bp / 100, "g"),
    }


def _decorate(
    contract: Contract,
    user: User,
    bound: dict[tuple[int, str], forms.Form],
    pricing: ContractPricing,
    cards: Sequence[SavedCard],
) -> None:
    """Attach what the room shows for each milestone: the viewer's actions, their forms
    (bound with errors when an action was refused), the funding quote and the releases."""
    is_client = user.pk == contract.client_id
    active = contract.state == ContractState.ACTIVE
    releases = selectors.contract_releases(contract=contract)
    for milestone in contract.milestones.all():
        m: Any = milestone
        funded = milestone.in_escrow_cents >= milestone.amount_cents
        moves = MILESTONE_TRANSITIONS[milestone.state]
        m.is_funded = funded
        m.releases = releases.get(milestone.pk, [])
        m.can_fund = (
            active and is_client and milestone.state in funding.FUNDABLE_STATES and not funded
        )
        m.can_submit = active and not is_client and MilestoneState.SUBMITTED in moves
        m.can_review = active and is_client and milestone.state == MilestoneState.SUBMITTED
        m.can_cancel = (
            active
            and MilestoneState.CANCELLED in moves
            and milestone.state != MilestoneState.DISPUTED
            and (milestone.in_escrow_cents == 0 or not is_client)
        )
        m.can_dispute = active and can_open_dispute(milestone, as_client=is_client)
        m.quote = None
        if m.can_fund:
            m.quote = funding.milestone_funding_quote(milestone=milestone, pricing=pricing)
        m.forms = {
            name: bound.get((milestone.pk, name)) or _form(name, milestone, cards) for name in FORMS
        }
        m.open_form = next((name for (pk, name) in bound if pk == milestone.pk), "")


def _room(
    request: HttpRequest,
    contract: Contract,
    *,
    bound: dict[tuple[int, str], forms.Form] | None = None,
    amendment_form: AmendmentForm | None = None,
    terms_form: HourlyTermsForm | None = None,
    bonus_form: BonusForm | None = None,
    refund_form: RefundForm | None = None,
    reject_forms: dict[int, RefundRejectForm] | None = None,
    expense_form: ExpenseForm | None = None,
    fund_forms: dict[int, FundForm] | None = None,
    change_form: MilestoneChangeForm | None = None,
    from_message: Message | None = None,
    template: str = "contracts/contract_detail.html",
    swap_totals: bool = False,
) -> HttpResponse:
    user = request_user(request)
    pricing = contract_pricing(contract)
    is_client = user.pk == contract.client_id
    # Read once for every payment form of the room; only the client pays.
    cards = saved_cards_of(user=user) if is_client else []
    _decorate(contract, user, bound or {}, pricing, cards)
    contract_amendments = list(contract.amendments.all())
    context = {
        "contract": contract,
        "is_client": is_client,
        "other": contract.freelancer if is_client else contract.client,
        "totals": selectors.contract_totals(contract=contract),
        "milestones": list(contract.milestones.all()),
        "pending_amendments": [a for a in contract_amendments if a.state == AmendmentState.PENDING],
        "past_amendments": [a for a in contract_amendments if a.state != AmendmentState.PENDING],
        "amendment_form": amendment_form or AmendmentForm(),
        "terms_form": terms_form or HourlyTermsForm(),
        "bonuses": list(bonuses_of(contract=contract)),
        "bonus_form": bonus_form or BonusForm(cards=cards),
        "bonus_open": is_client and bonus_allowed(contract),
        **_payments_context(contract, is_client, refund_form, reject_forms or {}),
        "expenses": [
            (expense, (fund_forms or {}).get(expense.pk) or _expense_fund_form(expense, cards))
            for expense in expenses_of(contract=contract)
        ],
        "expense_form": expense_form or ExpenseForm(),
        "change_form": change_form
        or MilestoneChangeForm(
            milestones=[m for m in contract.milestones.all() if m.state in OPEN_MILESTONE_STATES]
        ),
        "from_message": from_message,
        "client_balance": _client_balance(contract) if is_client else None,
        **_billed_together(contract, pricing),
        "conversation": conversation_by_topic(topic=contract_topic(contract)),
        **_ending_context(contract),
        # An htmx answer with the milestones brings the contract's totals along, out of band.
        "swap_totals": swap_totals,
    }
    return render(request, template, context)


PAGE_SIZE = 20
TABS = {"active": "Active", "offers": "Offers", "ended": "Ended"}


@login_required
@require_GET
def contract_list(request: HttpRequest) -> HttpResponse:
    """Contracts in the tabs people look for them by: running, offers waiting, ended."""
    user = request_user(request)
    tab = request.GET.get("tab", "active")
    if tab not in TABS:
        tab = "active"
    contracts = with_rate_of_week(
        selectors.contracts_for(user=user).prefetch_related("milestones"), week_of(clock.now())
    )
    pending = offers_of(user=user, state=OfferState.PENDING)
    counts = {
        "active": contracts.exclude(state=ContractState.ENDED).count(),
        "offers": pending.count(),
        "ended": contracts.filter(state=ContractState.ENDED).count(),
    }
    context: dict[str, Any] = {
        "tab": tab,
        "tabs": [(key, label, counts[key]) for key, label in TABS.items()],
        "fixed": ContractKind.FIXED,
    }
    if tab == "offers":
        context["page"] = Paginator(pending, PAGE_SIZE).get_page(request.GET.get("page"))
        context["past_offers"] = list(
            offers_of(user=user)
            .exclude(state=OfferState.PENDING)
            .filter(contract__isnull=True)[:PAGE_SIZE]
        )
    else:
        chosen = (
            contracts.filter(state=ContractState.ENDED)
            if tab == "ended"
            else contracts.exclude(state=ContractState.ENDED)
        )
        page = Paginator(chosen, PAGE_SIZE).get_page(request.GET.get("page"))
        context["page"] = page
        context["rows"] = [
            (
                contract,
                reverse("contract_detail", args=[contract.pk]),
                sum(m.amount_cents for m in contract.milestones.all()),
            )
            for contract in page
        ]
    return render(request, "contracts/contract_list.html", context)


def _payments_context(
    contract: Contract,
    is_client: bool,
    refund_form: RefundForm | None,
    reject_forms: dict[int, RefundRejectForm],
) -> dict[str, Any]:
    """The room's payments card: the contract's payments with what was refunded, refunds,
    refund requests (the freelancer answers the waiting ones), and the side's form."""
    payments = list(refunds.contract_payments(contract))
    requests = list(refund_requests_of(contract=contract))
    now = clock.now()
    for request in requests:
        # The client may dispute a rejected or unanswered request for a while.
        until = refunds.dispute_open_until(request)
        request.dispute_until = until if is_client and until and now <= until else None  # type: ignore[attr-defined]
    refundable = [p for p in payments if p.refunded_cents < p.gross_cents]
    return {
        "payments": payments,
        "refunds": list(refunds_of(contract=contract)),
        "refund_requests": [
            (request, reject_forms.get(request.pk) or RefundRejectForm()) for request in requests
        ],
        "refund_form": (refund_form or RefundForm(payments=refundable)) if refundable else None,
        "refund_action": "refund_request_open" if is_client else "refund_make",
    }


@login_required
@require_GET
def contract_detail(request: HttpRequest, contract_id: int) -> HttpResponse:
    """The contract room; `?from_message=<id>` opens the amendment forms prefilled from a
    message of the contract's conversation ("propose as amendment")."""
    user = request_user(request)
    contract = _contract(user, contract_id)
    return _room(request, contract, **_prefilled_from_message(request, user, contract))


def _chat_message(user: User, message_id: int | None) -> Message | None:
    """The chat message a change is proposed from; the service checks it is the contract's."""
    if not message_id:
        return None
    try:
        return message_for(user=user, message_id=message_id)
    except NotFound:
        raise InvalidInput(
            "That message is not in this contract's conversation.",
            field_errors={"source_message": ["Not a message of this contract."]},
        ) from None


AMOUNT_IN_TEXT = re.compile(r"\$\s?([0-9][0-9,]{0,11}(?:\.[0-9]{1,2})?)")


def _amount_mentioned(text: str) -> Decimal | None:
    """The first dollar amount a message names ("$120", "$1,250.50"), to prefill a form."""
    found = AMOUNT_IN_TEXT.search(text)
    return Decimal(found.group(1).replace(",", "")) if found else None


def _prefilled_from_message(request: HttpRequest, user: User, contract: Contract) -> dict[str, Any]:
    raw = request.GET.get("from_message", "")
    if not raw.isdigit():
        return {}
    try:
        message = message_for(user=user, message_id=int(raw))
    except NotFound:
        return {}
    if message.conversation.topic != contract_topic(contract):
        return {}
    text = message.body.strip()
    first_line = (text.splitlines() or [""])[0][:500]
    amount = _amount_mentioned(text)
    common = {"source_message": message.pk}
    forms_of: dict[str, Any] = {"from_message": message}
    if contract.kind == ContractKind.HOURLY:
        forms_of["terms_form"] = HourlyTermsForm(
            initial={**common, "hourly_rate": amount, "note": text[:2000]}
        )
    else:
        forms_of["amendment_form"] = AmendmentForm(
            initial={**common, "description": first_line, "amount": amount, "note": text[:2000]}
        )
    if user.pk == contract.freelancer_id:
        forms_of["expense_form"] = ExpenseForm(
            initial={**common, "description": first_line, "amount": amount}
        )
    return forms_of


def _milestone_action(
    request: HttpRequest,
    milestone_id: int,
    name: str,
    action: Callable[[User, Milestone, forms.Form], str],
) -> HttpResponse:
    """Run one milestone action from its form; answer htmx with the milestones section,
    a plain post with a redirect, and show a refusal on the form in place."""
    user = request_user(request)
    milestone = _milestone(user, milestone_id)
    cards = saved_cards_of(user=user) if name == "fund" else []
    form = _form(name, milestone, cards, request.POST, request.FILES)
    done: list[str] = []
    ok = run_form(form, lambda _data: done.append(action(user, milestone, form)))
    contract = _contract(user, milestone.contract_id)
    htmx = bool(getattr(request, "htmx", False))
    if ok:
        messages.success(request, done[0])
        if not htmx:
            return redirect("contract_detail", contract.pk)
        return _room(
            request, contract, template="contracts/_milestones_section.html", swap_totals=True
        )
    bound = {(milestone.pk, name): form}
    if htmx:
        return _room(request, contract, bound=bound, template="contracts/_milestones_section.html")
    return _room(request, contract, bound=bound)


@login_required
@require_POST
def milestone_fund(request: HttpRequest, milestone_id: int) -> HttpResponse:
    def act(user: User, milestone: Milestone, form: forms.Form) -> str:
        assert isinstance(form, FundForm)
        pay_with(
            user=user,
            choice=form.payment_choice(),
            pay=lambda card: funding.milestone_fund(
                client=user, milestone=milestone, payment_method=card
            ),
        )
        return f"“{milestone.description}” is funded: the money is in escrow."

    return _milestone_action(request, milestone_id, "fund", act)


@login_required
@require_POST
def milestone_submit(request: HttpRequest, milestone_id: int) -> HttpResponse:
    def act(user: User, milestone: Milestone, form: forms.Form) -> str:
        data = form.cleaned_data
        submissions.milestone_submit(
            freelancer=user,
            milestone=milestone,
            message=data["message"],
            files=data["attachments"],
            criteria_met=data["criteria_met"],
            acknowledge_unfunded=bool(data.get("acknowledge_unfunded")),
        )
        return "Submitted. The client has 14 days to review it."

    return _milestone_action(request, milestone_id, "submit", act)


@login_required
@require_POST
def milestone_approve(request: HttpRequest, milestone_id: int) -> HttpResponse:
    def act(user: User, milestone: Milestone, form: forms.Form) -> str:
        cents = form.cleaned_data["amount"]
        release.milestone_approve(
            client=user,
            milestone=milestone,
            amount=None if cents is None else Money(cents),
            remainder=form.cleaned_data["remainder"],
        )
        return f"“{milestone.description}” is approved and the payment released."

    return _milestone_action(request, milestone_id, "approve", act)


@login_required
@require_POST
def milestone_request_changes(request: HttpRequest, milestone_id: int) -> HttpResponse:
    def act(user: User, milestone: Milestone, form: forms.Form) -> str:
        submissions.milestone_request_changes(
            client=user, milestone=milestone, message=form.cleaned_data["message"]
        )
        return "Changes requested. The freelancer will resubmit."

    return _milestone_action(request, milestone_id, "changes", act)


def _simple(request: HttpRequest, contract: Contract, action: Callable[[], str]) -> HttpResponse:
    """Run a one-click action; back to the room, or to where it was clicked (`next`, a path
    of this site: the contract's conversation)."""
    try:
        messages.success(request, action())
    except DomainError as error:
        messages.error(request, error.detail)
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("contract_detail", contract.pk)


@login_required
@require_POST
def milestone_cancel(request: HttpRequest, milestone_id: int) -> HttpResponse:
    user = request_user(request)
    milestone = _milestone(user, milestone_id)

    def act() -> str:
        release.milestone_cancel(user=user, milestone=milestone)
        return f"“{milestone.description}” is cancelled."

    return _simple(request, milestone.contract, act)


@login_required
@require_POST
def amendment_propose(request: HttpRequest, contract_id: int) -> HttpResponse:
    user = request_user(request)
    contract = _contract(user, contract_id)
    form = AmendmentForm(request.POST)

    def act(data: dict[str, Any]) -> None:
        amendments.amendment_propose(
            user=user,
            contract=contract,
            description=data["description"],
            amount=Money(data["amount"]),
            due_date=data["due_date"],
            criteria=form.criteria_list(),
            note=data["note"],
            source_message=_chat_message(user, data.get("source_message")),
        )

    if run_form(form, act):
        messages.success(request, "Milestone proposed. It joins the contract when accepted.")
        return redirect("contract_detail", contract.pk)
    return _room(request, _contract(user, contract_id), amendment_form=form)


@login_required
@require_GET
def chat_proposals(request: HttpRequest, contract_id: int) -> HttpResponse:
    """The card the contract's conversation shows (htmx): the changes waiting for an answer,
    amendments and expenses, each answerable there; answering comes back to the chat."""
    user = request_user(request)
    contract = _contract(user, contract_id)
    conversation = conversation_by_topic(topic=contract_topic(contract))
    return render(
        request,
        "contracts/_chat_proposals.html",
        {
            "contract": contract,
            "is_client": user.pk == contract.client_id,
            "pending": [a for a in contract.amendments.all() if a.state == AmendmentState.PENDING],
            "proposed_expenses": [
                e for e in expenses_of(contract=contract) if e.state == ExpenseState.PROPOSED
            ],
            "back": reverse("conversation_detail", args=[conversation.pk]) if conversation else "",
        },
    )


@login_required
@require_POST
def milestone_change_propose(request: HttpRequest, contract_id: int) -> HttpResponse:
    user = request_user(request)
    contract = _contract(user, contract_id)
    form = MilestoneChangeForm(request.POST, milestones=list(contract.milestones.all()))

    def act(data: dict[str, Any]) -> None:
        amendments.amendment_propose_milestone_change(
            user=user,
            contract=contract,
            milestone=contract.milestones.get(pk=data["milestone"]),
            amount=None if data["amount"] is None else Money(data["amount"]),
            due_date=data["due_date"],
            note=data["note"],
            source_message=_chat_message(user, data.get("source_message")),
        )

    if run_form(form, act):
        messages.success(request, "Change proposed. It applies when the other side accepts it.")
        return redirect(f"{reverse('contract_detail', args=[contract.pk])}#amendments")
    return _room(request, _contract(user, contract_id), change_form=form)


@login_required
@require_POST
def bonus_pay(request: HttpRequest, contract_id: int) -> HttpResponse:
    user = request_user(request)
    contract = _contract(user, contract_id)
    form = BonusForm(request.POST, cards=saved_cards_of(user=user))

    def act(data: dict[str, Any]) -> None:
        pay_with(
            user=user,
            choice=form.payment_choice(),
            pay=lambda card: bonuses.bonus_pay(
                client=user,
                contract=contract,
                amount=Money(data["amount"]),
                note=data["note"],
                payment_method=card,
                key=data["key"],
            ),
        )

    if run_form(form, act):
        messages.success(request, f"Bonus of {Money(form.cleaned_data['amount'])} paid.")
        return redirect("contract_detail", contract.pk)
    return _room(request, _contract(user, contract_id), bonus_form=form)


def _refund_form_post(
    request: HttpRequest, contract_id: int, act: Callable[[User, Contract, Payment, Any], object]
) -> HttpResponse:
    user = request_user(request)
    contract = _contract(user, contract_id)
    form = RefundForm(request.POST, payments=list(refunds.contract_payments(contract)))
    done: list[str] = []

    def run(data: dict[str, Any]) -> None:
        payment = refunds.contract_payments(contract).get(pk=data["payment"])
        done.append(str(act(user, contract, payment, data)))

    if run_form(form, run):
        messages.success(request, done[0])
        return redirect(f"{reverse('contract_detail', args=[contract.pk])}#payments")
    return _room(request, _contract(user, contract_id), refund_form=form)


@login_required
@require_POST
def refund_make(request: HttpRequest, contract_id: int) -> HttpResponse:
    def act(user: User, contract: Contract, payment: Payment, data: Any) -> str:
        refunds.refund_make(
            freelancer=user,
            contract=contract,
            payment=payment,
            amount=Money(data["amount"]),
            reason=data["reason"],
            key=data["key"],
        )
        return sentence(f"{Money(data['amount'])} refunded to {contract.client.display_name}")

    return _refund_form_post(request, contract_id, act)


@login_required
@require_POST
def refund_request_open(request: HttpRequest, contract_id: int) -> HttpResponse:
    def act(user: User, contract: Contract, payment: Payment, data: Any) -> str:
        refunds.refund_request_open(
            client=user,
            contract=contract,
            payment=payment,
            amount=Money(data["amount"]),
            reason=data["reason"],
        )
        return f"Refund requested. {contract.freelancer.display_name} has 7 days to answer."

    return _refund_form_post(request, contract_id, act)


@login_required
@require_POST
def refund_request_answer(request: HttpRequest, request_id: int, answer: str) -> HttpResponse:
    user = request_user(request)
    try:
        pending = refund_request_for(user=user, request_id=request_id)
    except NotFound as missing:
        raise Http404(missing.detail) from None
    if answer not in ("accept", "reject"):
        raise Http404("No such answer.")
    contract = _contract(user, pending.contract_id)
    if answer == "accept":

        def accept() -> str:
            refunds.refund_request_accept(freelancer=user, request=pending)
            return "Accepted: the refund is on the client's balance."

        return _simple(request, contract, accept)
    form = RefundRejectForm(request.POST)
    if run_form(
        form,
        lambda data: refunds.refund_request_reject(
            freelancer=user, request=pending, note=data["note"]
        ),
    ):
        messages.success(request, "Rejected. The client may open a dispute.")
        return redirect(f"{reverse('contract_detail', args=[contract.pk])}#payments")
    return _room(request, contract, reject_forms={pending.pk: form})


@login_required
@require_POST
def expense_propose(request: HttpRequest, contract_id: int) -> HttpResponse:
    user = request_user(request)
    contract = _contract(user, contract_id)
    form = ExpenseForm(request.POST, request.FILES)

    def act(data: dict[str, Any]) -> None:
        expenses.expense_propose(
            freelancer=user,
            contract=contract,
            description=data["description"],
            amount=Money(data["amount"]),
            receipt=data["receipt"],
            source_message=_chat_message(user, data.get("source_message")),
        )

    if run_form(form, act):
        messages.success(
            request, "Expense proposed. It joins the contract when the client accepts it."
        )
        return redirect(f"{reverse('contract_detail', args=[contract.pk])}#expenses")
    return _room(request, _contract(user, contract_id), expense_form=form)


def _expense(user: User, expense_id: int) -> Expense:
    try:
        return expense_for(user=user, expense_id=expense_id)
    except NotFound as missing:
        raise Http404(missing.detail) from None


@login_required
@require_POST
def expense_answer(request: HttpRequest, expense_id: int, answer: str) -> HttpResponse:
    """Accept, decline, release (the client) or withdraw (the freelancer) an expense."""
    user = request_user(request)
    expense = _expense(user, expense_id)
    actions: dict[str, tuple[Callable[[], object], str]] = {
        "accept": (
            lambda: expenses.expense_accept(client=user, expense=expense),
            "Accepted: the expense is part of the contract. Fund it, then release it.",
        ),
        "decline": (lambda: expenses.expense_decline(client=user, expense=expense), "Declined."),
        "withdraw": (
            lambda: expenses.expense_withdraw(freelancer=user, expense=expense),
            "Withdrawn.",
        ),
        "release": (
            lambda: expenses.expense_release(client=user, expense=expense),
            "Reimbursed: the freelancer receives it in full, without a service fee.",
        ),
    }
    if answer not in actions:
        raise Http404("No such answer.")
    action, done = actions[answer]

    def act() -> str:
        action()
        return done

    return _simple(request, expense.contract, act)


@login_required
@require_POST
def expense_fund(request: HttpRequest, expense_id: int) -> HttpResponse:
    user = request_user(request)
    expense = _expense(user, expense_id)
    form = _expense_fund_form(expense, saved_cards_of(user=user), request.POST)
    ok = run_form(
        form,
        lambda _data: pay_with(
            user=user,
            choice=form.payment_choice(),
            pay=lambda card: expenses.expense_fund(
                client=user, expense=expense, payment_method=card
            ),
        ),
    )
    if ok:
        messages.success(request, f"“{expense.description}” is funded: the money is in escrow.")
        return redirect(f"{reverse('contract_detail', args=[expense.contract_id])}#expenses")
    return _room(request, _contract(user, expense.contract_id), fund_forms={expense.pk: form})


@login_required
@require_GET
def expense_receipt(request: HttpRequest, expense_id: int) -> FileResponse:
    """An expense's receipt, for the contract's two parties only, always as a download."""
    try:
        expense = expense_for(user=request_user(request), expense_id=expense_id)
    except NotFound:
        raise Http404("No such file.") from None
    return stored_download(
        expense.receipt, name=expense.receipt_name, content_type=expense.receipt_content_type
    )


@login_required
@require_POST
def hourly_terms_propose(request: HttpRequest, contract_id: int) -> HttpResponse:
    user = request_user(request)
    contract = _contract(user, contract_id)
    form = HourlyTermsForm(request.POST)

    def act(data: dict[str, Any]) -> None:
        amendments.amendment_propose_hourly_terms(
            user=user,
            contract=contract,
            hourly_rate=Money(data["hourly_rate"]),
            weekly_limit_hours=data["weekly_limit_hours"],
            note=data["note"],
            source_message=_chat_message(user, data.get("source_message")),
        )

    if run_form(form, act):
        messages.success(request, "New terms proposed. Accepted, they bill from the Monday after.")
        return redirect("contract_detail", contract.pk)
    return _room(request, _contract(user, contract_id), terms_form=form)


@login_required
@require_POST
def amendment_answer(request: HttpRequest, amendment_id: int, answer: str) -> HttpResponse:
    user = request_user(request)
    try:
        amendment = selectors.amendment_for(user=user, amendment_id=amendment_id)
    except NotFound as missing:
        raise Http404(missing.detail) from None
    actions = {
        "accept": (
            amendments.amendment_accept,
            "Accepted: the new terms bill from next Monday."
            if amendment.kind == AmendmentKind.HOURLY_TERMS
            else "Accepted: the milestone is on the contract.",
        ),
        "decline": (amendments.amendment_decline, "Declined."),
        "withdraw": (amendments.amendment_withdraw, "Withdrawn."),
    }
    if answer not in actions:
        raise Http404("No such answer.")
    service, done = actions[answer]

    def act() -> str:
        service(user=user, amendment=amendment)
        return done

    return _simple(request, amendment.contract, act)


def _ending_context(contract: Contract) -> dict[str, Any]:
    """What ending the contract now does: it ends as it is once no milestone is open but
    those in dispute and no accepted expense is left to reimburse; otherwise, ending it
    anyway closes the open ones (cancelled, given up or disputed, see
    `contract_end_disputed`)."""
    still_open = [
        m
        for m in contract.milestones.all()
        if m.state in OPEN_MILESTONE_STATES and m.state != MilestoneState.DISPUTED
    ]
    expenses = [e for e in expenses_of(contract=contract) if e.state in OPEN_EXPENSE_STATES]
    return {
        "can_end": contract.state == ContractState.ACTIVE and not still_open and not expenses,
        "end_open_milestones": still_open,
        "end_funded_expenses": [e for e in expenses if e.state == ExpenseState.FUNDED],
        "end_unfunded_expenses": [e for e in expenses if e.state == ExpenseState.ACCEPTED],
        "end_escrow_cents": sum(m.in_escrow_cents for m in still_open),
        "end_disputed": any(m.state == MilestoneState.DISPUTED for m in contract.milestones.all()),
    }


@login_required
@require_POST
def contract_end(request: HttpRequest, contract_id: int) -> HttpResponse:
    user = request_user(request)
    contract = _contract(user, contract_id)

    def act() -> str:
        endings.contract_end(user=user, contract=contract)
        return "The contract has ended."

    return _simple(request, contract, act)


@login_required
@require_POST
def contract_conversation(request: HttpRequest, contract_id: int) -> HttpResponse:
    """The contract's conversation, opened on first use."""
    user = request_user(request)
    contract = _contract(user, contract_id)
    try:
        conversation = conversation_open(
            topic=contract_topic(contract),
            title=contract.title,
            members=[contract.client, contract.freelancer],
        )
    except DomainError as error:
        messages.error(request, error.detail)
        return redirect("contract_detail", contract.pk)
    return redirect("conversation_detail", conversation.pk)


@login_required
@require_GET
def submission_file(request: HttpRequest, file_id: int) -> FileResponse:
    """A submitted file, for the contract's two parties only, always as a download."""
    try:
        row = selectors.submission_file_for(user=request_user(request), file_id=file_id)
    except NotFound:
        raise Http404("No such file.") from None
    return stored_download(row.file, name=row.name, content_type=row.content_type)
