"""Pages of proposals and invitations: the freelancer's proposal form, their proposals and
invitations; the client's review of a post's proposals and inviting freelancers."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openlance.accounts.auth import request_user
from openlance.accounts.models import User
from openlance.core.errors import DomainError
from openlance.core.forms import add_domain_errors, run_form
from openlance.core.ratelimits import rate_exceeded
from openlance.core.views import or_404
from openlance.jobs.models import JobPost
from openlance.jobs.selectors import job_of_client
from openlance.messaging.limits import MESSAGES
from openlance.messaging.selectors import conversation_by_topic
from openlance.profiles.models import Profile
from openlance.profiles.selectors import client_profile_of
from openlance.profiles.views import role_needed, role_required
from openlance.proposals import selectors, services
from openlance.proposals.forms import (
    DeclineForm,
    InvitationDeclineForm,
    InviteForm,
    MessageForm,
    ProposalForm,
)
from openlance.proposals.limits import PROPOSALS
from openlance.proposals.models import Proposal, ProposalState
from openlance.proposals.quotes import ProposalQuote, proposal_quote

PAGE_SIZE = 20
CLIENT_TAB_LABELS = {
    "all": "All proposals",
    "shortlisted": "Shortlisted",
    "messaged": "Messaged",
    "hired": "Hired",
    "archived": "Archived",
}


def _page(request: HttpRequest, items: Any) -> Any:
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


def _gig_math_url() -> str | None:
    """The gig math fragment, when the insights feature provides it."""
    try:
        return reverse("gig_math_partial")
    except NoReverseMatch:
        return None


@login_required
@require_http_methods(["GET", "POST"])
def proposal_new(request: HttpRequest, job_id: int) -> HttpResponse:
    """Not `role_required`: "Submit a proposal" on a post a client can see offers them the
    freelancer role, while a post nobody shows them stays a 404 first."""
    user = request_user(request)
    job = or_404(selectors.job_for_freelancer, job_id=job_id, viewer=user)
    if not user.is_freelancer:
        return role_needed(request, "freelancer")
    existing = selectors.proposal_of(job=job, freelancer=user)
    if existing is not None:
        messages.info(request, "You already sent a proposal for this job.")
        return redirect("proposal_detail", existing.pk)
    profiles = list(Profile.objects.filter(freelancer__user=user).order_by("-is_general", "id"))
    if not profiles:
        messages.info(request, "Create your freelancer profile before sending proposals.")
        return redirect("profile_edit")
    quote = proposal_quote(job=job, freelancer=user)
    initial = {"expected_cost": quote.cost, "duration": job.duration, "bid_type": job.budget_type}
    if request.method != "POST":
        form = ProposalForm(initial=initial, job=job, profiles=profiles)
    else:
        form = ProposalForm(request.POST, request.FILES, job=job, profiles=profiles)
        if rate_exceeded(request, PROPOSALS):
            form.is_valid()
            form.add_error(None, PROPOSALS.message)
            return _proposal_form(request, job, form, quote, status=429)

        def submit(data: dict[str, Any]) -> Proposal:
            # Bound data would resend the cost the page was built with; the hidden field
            # carries what the freelancer saw.
            return services.proposal_submit(
                freelancer=user,
                job=job,
                draft=form.draft(),
                attachments=data.get("attachments") or [],
            )

        if run_form(form, submit):
            sent = selectors.proposal_of(job=job, freelancer=user)
            assert sent is not None
            messages.success(
                request,
                "Proposal sent."
                + (f" {sent.connects_cost} Connects spent." if sent.connects_cost else ""),
            )
            return redirect("proposal_detail", sent.pk)
        quote = proposal_quote(job=job, freelancer=user)
        # The page shows this cost again, so sending it once more means agreeing to it.
        data = request.POST.copy()
        data["expected_cost"] = str(quote.cost)
        form.data = data
    return _proposal_form(request, job, form, quote, status=422 if form.errors else 200)


def _proposal_form(
    request: HttpRequest, job: JobPost, form: ProposalForm, quote: ProposalQuote, *, status: int
) -> HttpResponse:
    context = {
        "job": job,
        "form": form,
        "quote": quote,
        "invitation": selectors.invitation_for(job=job, freelancer=request_user(request)),
        "gig_math_url": _gig_math_url(),
    }
    return render(request, "proposals/form.html", context, status=status)


@role_required("freelancer")
@require_GET
def proposal_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    state = request.GET.get("state", "")
    if state and state not in ProposalState.values:
        state = ""
    counts = selectors.proposal_counts_by_state(freelancer=user)
    tabs = [("", "All", sum(counts.values()))] + [
        (value, label, counts.get(value, 0)) for value, label in ProposalState.choices
    ]
    context = {
        "tabs": tabs,
        "state": state,
        "page": _page(
            request, selectors.proposals_of_freelancer(freelancer=user, state=state or None)
        ),
        "pending_invitations": selectors.invitations_of_freelancer(
            freelancer=user, state="pending"
        ).count(),
    }
    return render(request, "proposals/list.html", context)


@login_required
@require_GET
def proposal_detail(request: HttpRequest, proposal_id: int) -> HttpResponse:
    """The freelancer's view of their proposal, or the client's view of one sent to them.
    The freelancer sees who the client is only once the interview started."""
    user = request_user(request)
    proposal = or_404(selectors.proposal_for_viewer, proposal_id=proposal_id, viewer=user)
    as_client = proposal.job.client_id == user.pk
    conversation = (
        conversation_by_topic(topic=proposal.topic) if proposal.interview_started else None
    )
    context = {
        "proposal": proposal,
        "job": proposal.job,
        "as_client": as_client,
        "conversation": conversation,
        "client_revealed": as_client or proposal.interview_started,
        "client_profile": client_profile_of(user=proposal.job.client),
        "message_form": MessageForm(),
        "decline_form": DeclineForm(),
    }
    return render(request, "proposals/detail.html", context)


@role_required("freelancer")
@require_POST
def proposal_withdraw(request: HttpRequest, proposal_id: int) -> HttpResponse:
    user = request_user(request)
    proposal = or_404(selectors.proposal_of_freelancer, proposal_id=proposal_id, freelancer=user)
    try:
        services.proposal_withdraw(freelancer=user, proposal=proposal)
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, "Proposal withdrawn. The Connects spent on it are not refunded.")
    return redirect("proposal_detail", proposal.pk)


@role_required("client")
@require_GET
def proposal_job_list(request: HttpRequest, job_id: int) -> HttpResponse:
    user = request_user(request)
    job = or_404(job_of_client, job_id=job_id, client=user)
    tab = request.GET.get("tab", "all")
    if tab not in CLIENT_TAB_LABELS:
        tab = "all"
    context = {
        "job": job,
        "tab": tab,
        "tabs": _tabs(job),
        "page": _page(request, selectors.proposals_for_job(job=job, tab=tab)),
        "invitations": selectors.invitations_of_job(job=job),
    }
    return render(request, "proposals/job_list.html", context)


def _tabs(job: JobPost) -> list[tuple[str, str, int]]:
    counts = selectors.proposal_tab_counts(job=job)
    return [(key, label, counts[key]) for key, label in CLIENT_TAB_LABELS.items()]


def _tab_of(url: str) -> str:
    """The tab of the proposals page a request came from ("all" when it names none)."""
    tab = parse_qs(urlsplit(url or "").query).get("tab", ["all"])[0]
    return tab if tab in CLIENT_TAB_LABELS else "all"


def _client_action(request: HttpRequest, proposal_id: int, action: Any, done: str) -> HttpResponse:
    user = request_user(request)
    proposal = or_404(selectors.proposal_of_client, proposal_id=proposal_id, client=user)
    try:
        action(client=user, proposal=proposal)
    except DomainError as error:
        refusal = error.detail
    else:
        refusal = ""
    if request.htmx:  # type: ignore[attr-defined]
        # Only the row is swapped in: a refusal is shown in it, and a success by its new
        # buttons, rather than queued as a message that would appear on some later page.
        # The tab counts change with it (Shortlisted 0 → 1): swapped out of band.
        fresh = selectors.proposal_of_client(proposal_id=proposal_id, client=user)
        row = render_to_string(
            "proposals/_client_row.html", {"proposal": fresh, "refusal": refusal}, request
        )
        tabs = render_to_string(
            "proposals/_tabs.html",
            {
                "tabs": _tabs(fresh.job),
                "tab": _tab_of(request.htmx.current_url),  # type: ignore[attr-defined]
                "oob": True,
            },
            request,
        )
        return HttpResponse(row + tabs)
    if refusal:
        messages.error(request, refusal)
    else:
        messages.success(request, done)
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect("proposal_detail", proposal.pk)


@role_required("client")
@require_POST
def proposal_shortlist(request: HttpRequest, proposal_id: int) -> HttpResponse:
    return _client_action(request, proposal_id, services.proposal_shortlist, "Shortlist updated.")


@role_required("client")
@require_POST
def proposal_archive(request: HttpRequest, proposal_id: int) -> HttpResponse:
    return _client_action(request, proposal_id, services.proposal_archive, "Archive updated.")


@role_required("client")
@require_POST
def proposal_decline(request: HttpRequest, proposal_id: int) -> HttpResponse:
    form = DeclineForm(request.POST)
    if not form.is_valid():
        user = request_user(request)
        proposal = or_404(selectors.proposal_of_client, proposal_id=proposal_id, client=user)
        return _client_detail(request, user, proposal, decline_form=form)

    def decline(*, client: User, proposal: Proposal) -> Proposal:
        return services.proposal_decline(
            client=client, proposal=proposal, reason=form.cleaned_data["reason"]
        )

    return _client_action(request, proposal_id, decline, "Proposal declined.")


def _client_detail(
    request: HttpRequest,
    client: User,
    proposal: Proposal,
    *,
    message_form: MessageForm | None = None,
    decline_form: DeclineForm | None = None,
    status: int = 422,
) -> HttpResponse:
    """The client's proposal page again, with the form they sent and its errors."""
    context = {
        "proposal": proposal,
        "job": proposal.job,
        "as_client": True,
        "conversation": None,
        "client_revealed": True,
        "client_profile": client_profile_of(user=client),
        "message_form": message_form or MessageForm(),
        "decline_form": decline_form or DeclineForm(),
    }
    return render(request, "proposals/detail.html", context, status=status)


@role_required("client")
@require_POST
def proposal_message(request: HttpRequest, proposal_id: int) -> HttpResponse:
    """The client's message; the first one opens the interview conversation."""
    user = request_user(request)
    proposal = or_404(selectors.proposal_of_client, proposal_id=proposal_id, client=user)
    form = MessageForm(request.POST)
    if rate_exceeded(request, MESSAGES):
        form.is_valid()
        form.add_error(None, MESSAGES.message)
        return _client_detail(request, user, proposal, message_form=form, status=429)
    sent: list[Any] = []
    if run_form(
        form,
        lambda data: sent.append(
            services.proposal_message(client=user, proposal=proposal, body=data["body"])
        ),
    ):
        return redirect("conversation_detail", sent[0].conversation_id)
    return _client_detail(request, user, proposal, message_form=form)


@role_required("freelancer")
@require_GET
def invitation_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    state = request.GET.get("state", "pending")
    if state not in ("pending", "accepted", "declined", "job_closed", "all"):
        state = "pending"
    invitations = selectors.invitations_of_freelancer(
        freelancer=user, state=None if state == "all" else state
    )
    context = {
        "state": state,
        "tabs": [
            ("pending", "Pending"),
            ("accepted", "Accepted"),
            ("declined", "Declined"),
            ("job_closed", "Job closed"),
            ("all", "All"),
        ],
        "page": _page(request, invitations),
        "response_time": selectors.invitation_response_time(freelancer=user),
    }
    return render(request, "proposals/invitations.html", context)


@role_required("freelancer")
@require_http_methods(["GET", "POST"])
def invitation_detail(request: HttpRequest, invitation_id: int) -> HttpResponse:
    """An invitation with its two answers: a free proposal, or a decline with a reason."""
    user = request_user(request)
    invitation = or_404(
        selectors.invitation_of_freelancer, invitation_id=invitation_id, freelancer=user
    )
    form = InvitationDeclineForm(request.POST or None)
    if request.method == "POST" and run_form(
        form,
        lambda data: services.invitation_decline(
            freelancer=user, invitation=invitation, reason=data["reason"], note=data["note"]
        ),
    ):
        messages.success(request, "Invitation declined.")
        return redirect("invitation_list")
    context = {
        "invitation": invitation,
        "form": form,
        "proposal": Proposal.objects.filter(invitation=invitation).first(),
    }
    return render(
        request, "proposals/invitation_detail.html", context, status=422 if form.errors else 200
    )


@role_required("client", offer_role=True)
@require_http_methods(["GET", "POST"])
def invitation_new(request: HttpRequest, user_id: int) -> HttpResponse:
    """Invite a freelancer (from their profile or a search result) to one of your posts."""
    user = request_user(request)
    freelancer = User.objects.filter(pk=user_id, is_active=True, is_freelancer=True).first()
    if freelancer is None or not hasattr(freelancer, "freelancer"):
        raise Http404("No such freelancer.")
    jobs = list(selectors.open_jobs_of_client(client=user))
    form = InviteForm(request.POST or None, jobs=jobs)
    if request.method == "POST" and form.is_valid():
        job = next(j for j in jobs if j.pk == form.cleaned_data["job"])
        try:
            with transaction.atomic():
                services.invitation_send(
                    client=user,
                    job=job,
                    freelancer=freelancer,
                    message=form.cleaned_data["message"],
                )
        except DomainError as error:
            add_domain_errors(form, error)
        else:
            messages.success(request, f"{freelancer.public_name} is invited to “{job.title}”.")
            return redirect("proposal_job_list", job.pk)
    context = {"form": form, "freelancer": freelancer, "jobs": jobs}
    return render(request, "proposals/invite.html", context, status=422 if form.errors else 200)
