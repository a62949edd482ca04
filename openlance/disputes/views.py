"""Dispute pages: /disputes/<id>/ for both sides and mediators (the timeline, the response or
concession, the proposal to accept or reject; for a mediator the case file and the split,
arbitration or hours forms), opening one from a milestone of the contract room or an invoice
of the timesheet, and the mediators' queue (/disputes/queue/)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from openlance.accounts.auth import request_user
from openlance.accounts.selectors import is_mediator
from openlance.contracts.hourly.forms import DisputeForm
from openlance.contracts.hourly.selectors import invoice_for
from openlance.contracts.payments.selectors import expense_for, refund_request_for
from openlance.contracts.selectors import contract_for, milestone_for
from openlance.core.downloads import stored_download
from openlance.core.errors import DomainError
from openlance.core.forms import run_form
from openlance.core.views import or_404
from openlance.disputes import selectors, services
from openlance.disputes.forms import HoursForm, ReasonForm, ResponseForm, ShareForm
from openlance.disputes.models import Dispute, DisputeState, Side


def _dispute(request: HttpRequest, dispute_id: int) -> Dispute:
    return or_404(selectors.dispute_for, user=request_user(request), dispute_id=dispute_id)


def _page(
    request: HttpRequest,
    dispute: Dispute,
    *,
    response_form: ResponseForm | None = None,
    share_form: ShareForm | None = None,
    hours_form: HoursForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request_user(request)
    contract = dispute.contract
    side = (
        Side.CLIENT
        if user.pk == contract.client_id
        else Side.FREELANCER
        if user.pk == contract.freelancer_id
        else ""
    )
    accepted: dict[str, Any] = {
        Side.CLIENT: dispute.client_accepted_at,
        Side.FREELANCER: dispute.freelancer_accepted_at,
    }
    mediator = is_mediator(user=user) and not side
    invoice = dispute.invoice
    context: dict[str, Any] = {
        "dispute": dispute,
        "contract": contract,
        "side": side,
        "can_respond": bool(side)
        and side != dispute.opened_by
        and dispute.state == DisputeState.AWAITING_RESPONSE,
        "can_concede": bool(side)
        and side != dispute.opened_by
        and dispute.state != DisputeState.DECIDED,
        "can_answer_proposal": bool(side)
        and dispute.state == DisputeState.PROPOSED
        and not accepted.get(side),
        "mediator": mediator,
        "case": selectors.case_file(dispute) if mediator else None,
        "response_form": response_form or ResponseForm(),
        "share_form": share_form
        or ShareForm(initial={"freelancer_share": dispute.amount_cents // 2 / 100}),
        "hours_form": hours_form
        or HoursForm(initial={"hours": round(invoice.seconds_billed / 3600, 4) if invoice else 0}),
    }
    return render(request, "disputes/dispute_detail.html", context, status=status)


@login_required
@require_GET
def dispute_detail(request: HttpRequest, dispute_id: int) -> HttpResponse:
    return _page(request, _dispute(request, dispute_id))


def _opened(
    request: HttpRequest,
    form: forms.Form,
    open_dispute: Callable[[dict[str, Any]], Dispute],
    done: str,
    back: str,
) -> HttpResponse:
    """Open a dispute from a form on another page: to the dispute, or back to that page with
    what was wrong."""
    opened: list[Dispute] = []
    if run_form(form, lambda data: opened.append(open_dispute(data))):
        messages.success(request, done)
        return redirect("dispute_detail", opened[0].pk)
    messages.error(request, " ".join(str(e) for e in form.errors.values()) or "Not opened.")
    return redirect(back)


def _subject_dispute(request: HttpRequest, subject: str, subject_id: int) -> HttpResponse:
    dispute = or_404(
        selectors.dispute_of, user=request_user(request), subject=subject, subject_id=subject_id
    )
    return redirect("dispute_detail", dispute.pk)


@login_required
@require_GET
def milestone_dispute(request: HttpRequest, milestone_id: int) -> HttpResponse:
    """The contract room links a disputed milestone here."""
    return _subject_dispute(request, "milestone", milestone_id)


@login_required
@require_GET
def expense_dispute_detail(request: HttpRequest, expense_id: int) -> HttpResponse:
    """The contract room links a disputed expense here."""
    return _subject_dispute(request, "expense", expense_id)


@login_required
@require_GET
def invoice_dispute_detail(request: HttpRequest, invoice_id: int) -> HttpResponse:
    """The timesheet links a disputed invoice here."""
    return _subject_dispute(request, "invoice", invoice_id)


@login_required
@require_POST
def expense_dispute_open(request: HttpRequest, expense_id: int) -> HttpResponse:
    """Either side disputes a funded expense from the contract room."""
    user = request_user(request)
    expense = or_404(expense_for, user=user, expense_id=expense_id)
    return _opened(
        request,
        ReasonForm(request.POST),
        lambda data: services.expense_dispute_open(
            user=user, expense=expense, reason=data["reason"]
        ),
        "Dispute opened: the expense's escrow is frozen.",
        f"{reverse('contract_detail', args=[expense.contract_id])}#expenses",
    )


@login_required
@require_POST
def invoice_dispute_open(request: HttpRequest, invoice_id: int) -> HttpResponse:
    """The client disputes an invoice from its week's timesheet."""
    user = request_user(request)
    invoice = or_404(invoice_for, user=user, invoice_id=invoice_id)
    week = invoice.week_start.isoformat()
    return _opened(
        request,
        DisputeForm(request.POST),
        lambda data: services.invoice_dispute_open(
            user=user, invoice=invoice, reason=data["reason"]
        ),
        "Dispute opened: the invoice is not paid and the contract is paused until it is decided.",
        f"{reverse('timesheet', args=[invoice.contract_id])}?week={week}#dispute",
    )


@login_required
@require_GET
def refund_dispute_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    """The contract room's payments card links a disputed refund request here."""
    return _subject_dispute(request, "refund_request", request_id)


@login_required
@require_POST
def refund_dispute_open(request: HttpRequest, request_id: int) -> HttpResponse:
    """The client disputes a refund request the freelancer rejected or left unanswered."""
    user = request_user(request)
    refund_request = or_404(refund_request_for, user=user, request_id=request_id)
    return _opened(
        request,
        ReasonForm(request.POST),
        lambda data: services.refund_dispute_open(
            user=user, request=refund_request, reason=data["reason"]
        ),
        "Dispute opened: the refund you asked for is held from the freelancer until it is decided.",
        f"{reverse('contract_detail', args=[refund_request.contract_id])}#payments",
    )


@login_required
@require_POST
def contract_end_disputed(request: HttpRequest, contract_id: int) -> HttpResponse:
    """End a fixed-price contract with escrow the sides do not agree on (the contract room)."""
    user = request_user(request)
    contract = or_404(contract_for, user=user, contract_id=contract_id)
    form = ReasonForm(request.POST)
    opened: list[list[Dispute]] = []
    if run_form(
        form,
        lambda data: opened.append(
            services.contract_end_disputed(user=user, contract=contract, reason=data["reason"])
        ),
    ):
        count = len(opened[0])
        messages.success(
            request,
            f"The contract has ended; {count} dispute{'s' if count != 1 else ''} opened over "
            "its escrow, which stays frozen until decided."
            if count
            else "The contract has ended.",
        )
        return redirect("disputes") if count else redirect("contract_detail", contract.pk)
    messages.error(request, " ".join(str(e) for e in form.errors.values()) or "Not ended.")
    return redirect(f"{reverse('contract_detail', args=[contract.pk])}#end")


@login_required
@require_POST
def dispute_open(request: HttpRequest, milestone_id: int) -> HttpResponse:
    user = request_user(request)
    milestone = or_404(milestone_for, user=user, milestone_id=milestone_id)
    return _opened(
        request,
        ReasonForm(request.POST),
        lambda data: services.dispute_open(user=user, milestone=milestone, reason=data["reason"]),
        "Dispute opened: the escrow is frozen.",
        reverse("contract_detail", args=[milestone.contract_id]),
    )


@login_required
@require_POST
def dispute_respond(request: HttpRequest, dispute_id: int) -> HttpResponse:
    user = request_user(request)
    dispute = _dispute(request, dispute_id)
    form = ResponseForm(request.POST)
    if run_form(
        form,
        lambda data: services.dispute_respond(
            user=user, dispute=dispute, response=data["response"]
        ),
    ):
        messages.success(request, "Response sent: a mediator takes the dispute from here.")
        return redirect("dispute_detail", dispute.pk)
    return _page(request, _dispute(request, dispute_id), response_form=form, status=422)


def _revision(value: str) -> int:
    """The proposal a side answers (0, which no proposal has, when the form lost it)."""
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else 0


@login_required
@require_POST
def dispute_proposal_answer(request: HttpRequest, dispute_id: int, answer: str) -> HttpResponse:
    user = request_user(request)
    dispute = _dispute(request, dispute_id)
    if answer not in ("accept", "reject"):
        raise Http404("No such answer.")
    try:
        services.dispute_proposal_answer(
            user=user,
            dispute=dispute,
            accept=answer == "accept",
            revision=_revision(request.POST.get("proposal_revision", "")),
        )
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(
            request,
            "Accepted." if answer == "accept" else "Rejected: the dispute goes to arbitration.",
        )
    return redirect("dispute_detail", dispute.pk)


def _mediator_action(request: HttpRequest, dispute_id: int, action: Any, done: str) -> HttpResponse:
    user = request_user(request)
    dispute = _dispute(request, dispute_id)
    if not is_mediator(user=user) or user.pk in (
        dispute.contract.client_id,
        dispute.contract.freelancer_id,
    ):
        raise Http404("There is no such dispute.")
    form = ShareForm(request.POST)
    if run_form(
        form,
        lambda data: action(
            mediator=user,
            dispute=dispute,
            freelancer_cents=data["freelancer_share"],
            note=data["note"],
        ),
    ):
        messages.success(request, done)
        return redirect("dispute_detail", dispute.pk)
    return _page(request, _dispute(request, dispute_id), share_form=form, status=422)


@login_required
@require_POST
def dispute_propose(request: HttpRequest, dispute_id: int) -> HttpResponse:
    return _mediator_action(
        request, dispute_id, services.dispute_propose, "Split proposed to both sides."
    )


@login_required
@require_POST
def dispute_arbitrate(request: HttpRequest, dispute_id: int) -> HttpResponse:
    return _mediator_action(
        request, dispute_id, services.dispute_arbitrate, "Decided and executed."
    )


@login_required
@require_POST
def dispute_decide_hours(request: HttpRequest, dispute_id: int) -> HttpResponse:
    user = request_user(request)
    dispute = _dispute(request, dispute_id)
    form = HoursForm(request.POST)
    if run_form(
        form,
        lambda data: services.dispute_decide_hours(
            mediator=user, dispute=dispute, billed_seconds=data["hours"], note=data["note"]
        ),
    ):
        messages.success(request, "Decided and executed.")
        return redirect("dispute_detail", dispute.pk)
    return _page(request, _dispute(request, dispute_id), hours_form=form, status=422)


@login_required
@require_POST
def dispute_concede(request: HttpRequest, dispute_id: int) -> HttpResponse:
    dispute = _dispute(request, dispute_id)
    try:
        services.dispute_concede(user=request_user(request), dispute=dispute)
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, "Conceded: the dispute is decided for the other side.")
    return redirect("dispute_detail", dispute.pk)


@login_required
@require_GET
def case_document(
    request: HttpRequest, dispute_id: int, kind: str, document_id: int
) -> FileResponse:
    """A file of the disputed contract, for its parties and mediators, always a download."""
    dispute = _dispute(request, dispute_id)
    document = or_404(selectors.case_document, dispute=dispute, kind=kind, document_id=document_id)
    return stored_download(document.file, name=document.name, content_type=document.content_type)


@login_required
@require_GET
def mediation_queue(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not is_mediator(user=user):
        raise Http404("No such page.")
    queue = selectors.mediation_queue(mediator=user)
    return render(request, "disputes/queue.html", {"disputes": list(queue[:200])})


@login_required
@require_GET
def my_disputes(request: HttpRequest) -> HttpResponse:
    """The disputes on the user's own contracts, as client or freelancer."""
    user = request_user(request)
    disputes = selectors.disputes_of_party(user=user)
    return render(
        request,
        "disputes/list.html",
        {"disputes": list(disputes[:200]), "is_mediator": is_mediator(user=user)},
    )
