"""Pages of offers: the client's offer form (from a proposal's "Hire"), the offer for both
sides (accept or decline; change or withdraw), and the list of the user's contracts and
offers in either role."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openlance.accounts.auth import request_user
from openlance.accounts.models import User
from openlance.contracts.models import (
    MAX_MILESTONES,
    Offer,
    OfferState,
)
from openlance.contracts.offers import services
from openlance.contracts.offers.forms import (
    AcceptForm,
    DeclineForm,
    DirectOfferForm,
    OfferForm,
    offer_initial,
    rows_posted,
)
from openlance.contracts.offers.selectors import offer_of
from openlance.core import clock
from openlance.core.errors import DomainError, require_id
from openlance.core.forms import run_form
from openlance.core.money import Money
from openlance.core.text import sentence
from openlance.core.views import or_404
from openlance.messaging.selectors import conversation_by_topic
from openlance.profiles.views import role_required
from openlance.proposals.models import Proposal
from openlance.proposals.selectors import open_jobs_of_client, proposal_of_client


def _contract_url(contract_id: int) -> str | None:
    """The contract room, once the milestones feature provides it."""
    try:
        return reverse("contract_detail", args=[contract_id])
    except NoReverseMatch:
        return None


def _initial_from_proposal(proposal: Proposal) -> dict[str, Any]:
    job = proposal.job
    initial: dict[str, Any] = {
        "kind": job.budget_type,
        "title": job.title[:120],
        "description": job.description[:5000],
        "start_date": clock.now().date(),
    }
    if proposal.hourly_rate_cents is not None:
        initial["hourly_rate"] = Money(proposal.hourly_rate_cents).amount
        initial["weekly_limit_hours"] = 40
    planned = list(proposal.milestones.all())
    if planned:
        for n, milestone in enumerate(planned, start=1):
            initial[f"milestone_{n}_description"] = milestone.description
            initial[f"milestone_{n}_amount"] = Money(milestone.amount_cents).amount
            initial[f"milestone_{n}_due"] = milestone.due_on
    elif proposal.bid_cents is not None:
        initial["milestone_1_description"] = job.title[:500]
        initial["milestone_1_amount"] = Money(proposal.bid_cents).amount
    return initial


@role_required("client")
@require_http_methods(["GET", "POST"])
def offer_new(request: HttpRequest, proposal_id: int) -> HttpResponse:
    user = request_user(request)
    proposal = or_404(proposal_of_client, proposal_id=proposal_id, client=user)
    pending = Offer.objects.filter(
        job=proposal.job, freelancer=proposal.freelancer, state=OfferState.PENDING
    ).first()
    if pending is not None:
        messages.info(request, "You already sent an offer to this freelancer; change it here.")
        return redirect("offer_detail", pending.pk)
    context = {"proposal": proposal, "job": proposal.job, "offer": None}
    if request.method != "POST":
        initial = _initial_from_proposal(proposal)
        return _form_page(request, OfferForm(initial=initial, rows=rows_posted(initial)), context)
    if "add_row" in request.POST:
        return _with_added_row(request, context)
    form = OfferForm(request.POST, rows=rows_posted(request.POST))
    sent: list[Offer] = []
    if run_form(
        form,
        lambda _: sent.append(
            services.offer_send(client=user, terms=form.terms(), proposal=proposal)
        ),
    ):
        messages.success(request, sentence(f"Offer sent to {proposal.freelancer.public_name}"))
        return redirect("offer_detail", sent[0].pk)
    return _form_page(request, form, context)


@role_required("client", offer_role=True)
@require_http_methods(["GET", "POST"])
def offer_new_direct(request: HttpRequest, user_id: int) -> HttpResponse:
    """Hire a freelancer who has not proposed (found through search or their profile)."""
    user = request_user(request)
    freelancer = User.objects.filter(
        pk=or_404(require_id, value=user_id, what="freelancer"),
        is_active=True,
        is_freelancer=True,
        freelancer__isnull=False,
    ).first()
    if freelancer is None or freelancer.pk == user.pk:
        raise Http404("No such freelancer.")
    jobs = list(open_jobs_of_client(client=user))
    context = {"proposal": None, "job": None, "offer": None, "freelancer": freelancer}
    if not jobs:
        return render(request, "contracts/offer_form.html", {**context, "form": None})
    if request.method != "POST":
        initial = {"kind": jobs[0].budget_type, "start_date": clock.now().date()}
        return _form_page(request, DirectOfferForm(initial=initial, jobs=jobs), context)
    if "add_row" in request.POST:
        typed = DirectOfferForm(
            initial=request.POST.dict(), rows=rows_posted(request.POST) + 1, jobs=jobs
        )
        return _form_page(request, typed, context)
    form = DirectOfferForm(request.POST, rows=rows_posted(request.POST), jobs=jobs)
    sent: list[Offer] = []

    def send(data: dict[str, Any]) -> None:
        job = next(job for job in jobs if job.pk == data["job"])
        sent.append(
            services.offer_send(client=user, terms=form.terms(), job=job, freelancer=freelancer)
        )

    if run_form(form, send):
        messages.success(request, sentence(f"Offer sent to {freelancer.public_name}"))
        return redirect("offer_detail", sent[0].pk)
    return _form_page(request, form, context)


def _form_page(
    request: HttpRequest, form: OfferForm | DirectOfferForm, context: dict[str, Any]
) -> HttpResponse:
    return render(
        request,
        "contracts/offer_form.html",
        {**context, "form": form},
        status=422 if form.is_bound and form.errors else 200,
    )


def _with_added_row(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    """Without JavaScript, "Add a milestone" posts the form: it comes back as typed, with
    one more row and no errors, since nothing was sent yet."""
    typed = OfferForm(initial=request.POST.dict(), rows=rows_posted(request.POST) + 1)
    return _form_page(request, typed, context)


@role_required("client")
@require_GET
def offer_milestone_row(request: HttpRequest) -> HttpResponse:
    """One more empty milestone row for the offer form (htmx)."""
    number = request.GET.get("n", "")
    if not number.isdigit() or not 2 <= int(number) <= MAX_MILESTONES:
        raise Http404("No such milestone row.")
    form = OfferForm(rows=int(number))
    return render(
        request,
        "contracts/offer_milestone_row.html",
        {"form": form, "row": form.milestone_row(int(number)), "oob": True},
    )


@login_required
@require_GET
def offer_detail(request: HttpRequest, offer_id: int) -> HttpResponse:
    user = request_user(request)
    offer = or_404(offer_of, user=user, offer_id=offer_id)
    contract = getattr(offer, "contract", None)
    # The freelancer replies to an offer in the interview conversation, when there is one.
    conversation = (
        conversation_by_topic(topic=offer.proposal.topic) if offer.proposal is not None else None
    )
    return render(
        request,
        "contracts/offer_detail.html",
        {
            "offer": offer,
            "as_client": offer.client_id == user.pk,
            "milestones": list(offer.milestones.all()),
            "total_cents": sum(m.amount_cents for m in offer.milestones.all()),
            "accept_form": AcceptForm(initial={"revision": offer.revision}),
            "decline_form": DeclineForm(),
            "contract_url": _contract_url(contract.pk) if contract is not None else None,
            "conversation": conversation,
        },
    )


def _client_offer(request: HttpRequest, offer_id: int) -> Offer:
    user = request_user(request)
    offer = or_404(offer_of, user=user, offer_id=offer_id)
    if offer.client_id != user.pk:
        raise Http404("No such offer.")
    return offer


def _freelancer_offer(request: HttpRequest, offer_id: int) -> Offer:
    user = request_user(request)
    offer = or_404(offer_of, user=user, offer_id=offer_id)
    if offer.freelancer_id != user.pk:
        raise Http404("No such offer.")
    return offer


@role_required("client")
@require_http_methods(["GET", "POST"])
def offer_edit(request: HttpRequest, offer_id: int) -> HttpResponse:
    user = request_user(request)
    offer = _client_offer(request, offer_id)
    if offer.state != OfferState.PENDING:
        messages.error(request, f"This offer is {offer.get_state_display().lower()}.")
        return redirect("offer_detail", offer.pk)
    context = {"proposal": offer.proposal, "job": offer.job, "offer": offer}
    if request.method != "POST":
        form = OfferForm(initial=offer_initial(offer), rows=offer.milestones.count())
        return _form_page(request, form, context)
    if "add_row" in request.POST:
        return _with_added_row(request, context)
    form = OfferForm(request.POST, rows=rows_posted(request.POST))
    if run_form(
        form, lambda _: services.offer_change(client=user, offer=offer, terms=form.terms())
    ):
        messages.success(request, "Offer changed; the freelancer is asked to review it again.")
        return redirect("offer_detail", offer.pk)
    return _form_page(request, form, context)


@role_required("client")
@require_POST
def offer_withdraw(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = _client_offer(request, offer_id)
    try:
        services.offer_withdraw(client=request_user(request), offer=offer)
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, "Offer withdrawn.")
    return redirect("offer_detail", offer.pk)


@role_required("freelancer")
@require_POST
def offer_decline(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = _freelancer_offer(request, offer_id)
    form = DeclineForm(request.POST)
    if run_form(
        form,
        lambda data: services.offer_decline(
            freelancer=request_user(request), offer=offer, reason=data["reason"]
        ),
    ):
        messages.success(request, "Offer declined; the client has been told.")
    else:
        problems = [str(error) for errors in form.errors.values() for error in errors]
        messages.error(request, problems[0] if problems else "Check the reason.")
    return redirect("offer_detail", offer.pk)


@role_required("freelancer")
@require_POST
def offer_accept(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = _freelancer_offer(request, offer_id)
    form = AcceptForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Reload the offer and accept again.")
        return redirect("offer_detail", offer.pk)
    try:
        contract = services.offer_accept(
            freelancer=request_user(request), offer=offer, revision=form.cleaned_data["revision"]
        )
    except DomainError as error:
        messages.error(request, error.detail)
        return redirect("offer_detail", offer.pk)
    messages.success(request, "Offer accepted: your contract has started.")
    url = _contract_url(contract.pk)
    return redirect(url) if url else redirect("offer_detail", offer.pk)
