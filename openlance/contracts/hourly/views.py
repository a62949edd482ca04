"""The timesheet (/contracts/<id>/timesheet/): one billing week of an hourly contract for
both sides, as a grid by day with totals, the weekly limit and what is billed, the entries
with their memos (tracked or manual), earlier weeks with their invoices, and the
freelancer's forms to log, change and delete time while the week is open. Entry forms
answer htmx with the week re-rendered (errors in place), plain posts with a redirect.
The contract room loads the hourly card from here."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from openlance.accounts.auth import request_user
from openlance.accounts.models import User
from openlance.billing.cards import card_label, payment_method_for, saved_cards_of
from openlance.contracts.hourly import selectors, services, weeks
from openlance.contracts.hourly.forms import DisputeForm, HourlyCardForm, TimeEntryForm
from openlance.contracts.models import Contract, ContractKind, TimeEntry, TimeEntrySource
from openlance.core import clock
from openlance.core.errors import DomainError, NotFound
from openlance.core.forms import run_form


def _hourly(user: User, contract_id: int) -> Contract:
    try:
        contract = selectors.hourly_contract_for(user=user, contract_id=contract_id)
    except NotFound as missing:
        raise Http404(missing.detail) from None
    if contract.kind != ContractKind.HOURLY:
        raise Http404("A fixed-price contract has no timesheet.")
    return contract


def _entry(user: User, entry_id: int) -> TimeEntry:
    try:
        return selectors.time_entry_for(user=user, entry_id=entry_id)
    except NotFound as missing:
        raise Http404(missing.detail) from None


def _week(request: HttpRequest) -> date:
    raw = request.GET.get("week") or request.POST.get("week") or ""
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        day = None
    return day if day is not None and weeks.week_in_range(day) else weeks.week_of(clock.now())


def _page(
    request: HttpRequest,
    contract: Contract,
    week: date,
    *,
    add_form: TimeEntryForm | None = None,
    edit_forms: dict[int, TimeEntryForm] | None = None,
    card_form: HourlyCardForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request_user(request)
    now = clock.now()
    sheet = selectors.timesheet(contract=contract, week=week, now=now)
    is_freelancer = user.pk == contract.freelancer_id
    # A paused contract still takes time worked before the pause (the service judges).
    can_log = is_freelancer and sheet.editable and contract.state != "ended"
    edit_forms = edit_forms or {}
    rows = [(entry, edit_forms.get(entry.pk) or _entry_form(entry)) for entry in sheet.entries]
    context = {
        "contract": contract,
        "sheet": sheet,
        "rows": rows,
        "is_freelancer": is_freelancer,
        "can_log": can_log and contract.manual_time_allowed,
        "can_change": can_log,
        # Today when it is in the week shown, else the week's Monday.
        "add_form": add_form
        or TimeEntryForm(
            initial={
                "day": now.date() if sheet.week <= now.date() < sheet.next_week else sheet.week
            }
        ),
        "invoices": list(selectors.invoices_of(contract=contract)[:12]),
        "can_dispute": (
            not is_freelancer
            and sheet.invoice is not None
            and sheet.invoice.state in services.DISPUTABLE
            and sheet.invoice.disputed_at is None
            and sheet.invoice.amount_cents > 0
            and now < sheet.invoice.review_ends_at
        ),
        "dispute_form": DisputeForm(),
        "card_form": card_form
        or HourlyCardForm(
            cards=saved_cards_of(user=contract.client), initial_card=contract.hourly_card
        ),
        "invoice_card": card_label(user=contract.client, payment_method=contract.hourly_card),
        "other": contract.client if is_freelancer else contract.freelancer,
        "pause": services.open_pause_of(contract),
        "current_week": weeks.week_of(now),
        # The review runs up to Friday 23:59:59; its end is the moment after.
        "review_until": weeks.review_ends_at(sheet.week) - timedelta(seconds=1),
        "available_at": weeks.available_from(
            sheet.week, sheet.invoice.charged_at if sheet.invoice else None
        ),
    }
    htmx = bool(getattr(request, "htmx", False))
    template = "contracts/_timesheet_week.html" if htmx else "contracts/timesheet.html"
    return render(request, template, context, status=status)


def _entry_form(entry: TimeEntry) -> TimeEntryForm:
    ended = entry.ended_at
    return TimeEntryForm(
        initial={
            "day": entry.started_at.date(),
            "start": entry.started_at.time(),
            "end": ended.time(),
            "memo": entry.memo,
        },
        prefix=f"e{entry.pk}",
    )


@login_required
@require_GET
def timesheet_page(request: HttpRequest, contract_id: int) -> HttpResponse:
    contract = _hourly(request_user(request), contract_id)
    return _page(request, contract, _week(request))


def _done(request: HttpRequest, contract: Contract, week: date, message: str) -> HttpResponse:
    messages.success(request, message)
    if getattr(request, "htmx", False):
        return _page(request, contract, week)
    return redirect(f"{reverse('timesheet', args=[contract.pk])}?week={week.isoformat()}")


@login_required
@require_POST
def time_entry_add(request: HttpRequest, contract_id: int) -> HttpResponse:
    user = request_user(request)
    contract = _hourly(user, contract_id)
    form = TimeEntryForm(request.POST)
    ok = run_form(
        form,
        lambda data: services.time_entry_add(
            user=user,
            contract=contract,
            started_at=data["started_at"],
            ended_at=data["ended_at"],
            memo=data["memo"],
            source=TimeEntrySource.MANUAL,
        ),
    )
    week = weeks.week_of(form.cleaned_data["started_at"]) if ok else _week(request)
    if ok:
        return _done(request, contract, week, "Time logged (manual).")
    return _page(request, contract, week, add_form=form, status=422)


@login_required
@require_POST
def time_entry_change(request: HttpRequest, entry_id: int) -> HttpResponse:
    user = request_user(request)
    entry = _entry(user, entry_id)
    contract = _hourly(user, entry.contract_id)
    week = weeks.week_of(entry.started_at)
    if request.POST.get("delete"):
        try:
            services.time_entry_delete(user=user, entry=entry)
        except DomainError as error:
            messages.error(request, error.detail)
            return _page(request, contract, week, status=409)
        return _done(request, contract, week, "The entry is deleted.")
    form = TimeEntryForm(request.POST, prefix=f"e{entry.pk}")
    ok = run_form(
        form,
        lambda data: services.time_entry_update(
            user=user,
            entry=entry,
            started_at=data["started_at"],
            ended_at=data["ended_at"],
            memo=data["memo"],
        ),
    )
    if ok:
        return _done(request, contract, week, "The entry is changed.")
    return _page(request, contract, week, edit_forms={entry.pk: form}, status=422)


@login_required
@require_GET
def hourly_card(request: HttpRequest, contract_id: int) -> HttpResponse:
    """The contract room's hourly card: the terms, this week so far and the last invoice."""
    contract = _hourly(request_user(request), contract_id)
    now = clock.now()
    sheet = selectors.timesheet(contract=contract, week=weeks.week_of(now), now=now)
    return render(
        request,
        "contracts/_hourly_card.html",
        {
            "contract": contract,
            "sheet": sheet,
            "last": selectors.invoices_of(contract=contract).first(),
        },
    )


@login_required
@require_GET
def hourly_owed(request: HttpRequest) -> HttpResponse:
    """The wallet's card of hourly invoices the client still owes (nothing when none)."""
    owed = list(selectors.invoices_owed_by(client=request_user(request)))
    return render(request, "contracts/_hourly_owed.html", {"owed": owed})


@login_required
@require_POST
def contract_pause(request: HttpRequest, contract_id: int, action: str) -> HttpResponse:
    """The client pauses or resumes an hourly contract from its timesheet."""
    user = request_user(request)
    contract = _hourly(user, contract_id)
    services_by_action = {"pause": services.contract_pause, "resume": services.contract_resume}
    if action not in services_by_action:
        raise Http404("There is no such action.")
    try:
        contract = services_by_action[action](user=user, contract=contract)
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        done = "paused: no time is logged" if action == "pause" else "resumed"
        messages.success(request, f"The contract is {done}.")
    return redirect("timesheet", contract.pk)


@login_required
@require_POST
def hourly_card_set(request: HttpRequest, contract_id: int) -> HttpResponse:
    """The client chooses the card for invoices their balance does not cover."""
    user = request_user(request)
    contract = _hourly(user, contract_id)
    if user.pk != contract.client_id:
        # The freelancer's timesheet has no card form to show the refusal on.
        messages.error(request, "Only the contract's client chooses the card for its invoices.")
        return redirect("timesheet", contract.pk)
    form = HourlyCardForm(request.POST, cards=saved_cards_of(user=user))
    chosen: list[str] = []

    def act(_data: dict[str, Any]) -> None:
        choice = form.payment_choice()
        card = "" if choice.balance else payment_method_for(user=user, choice=choice)
        services.contract_hourly_card_set(user=user, contract=contract, card=card)
        chosen.append(card_label(user=user, payment_method=card))

    ok = run_form(form, act)
    if ok:
        card = chosen[0]
        return _done(
            request,
            contract,
            weeks.week_of(clock.now()),
            f"Invoices your balance does not cover are charged to {card}."
            if card
            else "Invoices are charged to your balance only.",
        )
    return _page(request, contract, weeks.week_of(clock.now()), card_form=form, status=422)
