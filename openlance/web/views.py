from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import get_object_or_404, render
from django.template import loader
from django.views.decorators.http import require_GET

from openlance.accounts.models import User
from openlance.accounts.selectors import verifications_of_user
from openlance.billing.views import fee_calculator_context
from openlance.catalog.selectors import categories_all
from openlance.connects.services import connects_account_open
from openlance.core import clock
from openlance.core.errors import NotFound
from openlance.core.models import PolicyKind
from openlance.core.policies import parse_params, policy_version_at
from openlance.core.problems import problem_response
from openlance.core.selectors import policy_versions
from openlance.insights.selectors import client_signals
from openlance.jobs.models import JobState
from openlance.jobs.search import JobSearchParams, JobSort, location_allows, search_jobs
from openlance.jobs.selectors import jobs_of_client, jobs_visible_to
from openlance.ledger.selectors import accounts_of_user
from openlance.profiles.search import FreelancerSearchParams, search_freelancer_cards
from openlance.profiles.selectors import client_profile_of, freelancer_of, profile_completeness
from openlance.proposals.selectors import invitation_for, job_for_freelancer, proposal_of
from openlance.web.dashboard import client_activity, freelancer_activity
from openlance.web.policy_display import describe

API_PREFIX = "/api/"


# How much of the marketplace the home page shows before "see all".
HOME_JOBS = 6
HOME_FREELANCERS = 4


def _discovery(viewer: User | AnonymousUser) -> dict[str, Any]:
    """What the home page offers to find work or talent in one step: the categories, the
    newest open posts the viewer may see, and the freelancers the ranking in force puts
    first (SPEC §4: the same ranking talent search uses)."""
    return {
        "categories": list(categories_all()),
        "recent_jobs": search_jobs(
            viewer=viewer, params=JobSearchParams(sort=JobSort.NEWEST, page_size=HOME_JOBS)
        ).items,
        "top_freelancers": search_freelancer_cards(
            viewer=viewer, params=FreelancerSearchParams(page_size=HOME_FREELANCERS)
        ).items,
    }


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    context: dict[str, Any] = _discovery(user)
    if isinstance(user, User):
        context["ledger_accounts"] = list(accounts_of_user(user=user))
        if user.is_freelancer:
            # The first page after sign-up opens the Connects account, with its welcome
            # grant, rather than showing 0 until the worker delivers the sign-up event.
            connects_account_open(user=user)
            context |= freelancer_activity(user)
            freelancer = freelancer_of(user=user)
            context["completeness"] = (
                profile_completeness(freelancer=freelancer) if freelancer else None
            )
            context["verification"] = verifications_of_user(user=user).first()
        if user.is_client:
            context |= client_activity(user)
            jobs = jobs_of_client(client=user)
            context["open_jobs"] = jobs.filter(state=JobState.OPEN).count()
            context["draft_jobs"] = jobs.filter(state=JobState.DRAFT).count()
    return render(request, "web/home.html", context)


@require_GET
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    """A job post with its client's vetting signals. Others' drafts, invite-only posts
    (unless the viewer was invited) and removed posts are a 404, as if they did not exist."""
    try:
        job = job_for_freelancer(job_id=job_id, viewer=request.user)
    except NotFound:
        raise Http404("No such job post.") from None
    user = request.user
    is_owner = user.is_authenticated and user.pk == job.client_id
    context = {
        "job": job,
        "is_owner": is_owner,
        "signals": client_signals(client=job.client),
    }
    if isinstance(user, User) and not is_owner and user.is_freelancer:
        context["my_proposal"] = proposal_of(job=job, freelancer=user)
        context["my_invitation"] = invitation_for(job=job, freelancer=user)
        # Said before the proposal form, not after it is filled in.
        context["location_ok"] = location_allows(job, user)
    return render(request, "web/job_detail.html", context)


@require_GET
def client_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    """What freelancers read to vet a client: who they are and their hiring record."""
    client = get_object_or_404(User, pk=user_id, is_active=True, is_client=True)
    context = {
        "client": client,
        "client_profile": client_profile_of(user=client),
        "signals": client_signals(client=client),
        "open_jobs": jobs_visible_to(viewer=request.user).filter(
            client=client, state=JobState.OPEN
        ),
    }
    return render(request, "web/client_detail.html", context)


def _version_status(effective_from: Any, current_id: int | None, version_id: int) -> str:
    if version_id == current_id:
        return "in force"
    return "scheduled" if effective_from > clock.now() else "superseded"


def _policy_kind(kind: PolicyKind) -> dict[str, Any]:
    try:
        current = policy_version_at(kind, clock.now())
    except NotFound:
        current = None
    history = [
        {
            "version": version,
            "status": _version_status(
                version.effective_from, current.pk if current else None, version.pk
            ),
            "rows": describe(parse_params(kind, version.params)),
        }
        for version in policy_versions(kind=kind)
    ]
    return {
        "kind": kind,
        "current": current,
        "rows": describe(parse_params(kind, current.params)) if current else [],
        "history": history,
    }


@require_GET
def policies(request: HttpRequest) -> HttpResponse:
    """Public: every rule that touches a user, in force now, with its past and future."""
    context = {
        "kinds": [_policy_kind(kind) for kind in PolicyKind],
        **fee_calculator_context({}),
    }
    return render(request, "web/policies.html", context)


def rate_limited(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "web/rate_limited.html", status=429)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return problem_response(
            status=404, title="Not found", detail="No such endpoint.", code="not_found"
        )
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return problem_response(
            status=500,
            title="Server error",
            detail="Something went wrong on our side; it has been logged.",
            code="server_error",
        )
    # Rendered without the request: whatever broke (the database, a context processor)
    # must not break the error page too.
    return HttpResponseServerError(loader.get_template("500.html").render())
