"""The gig math calculator page, and its result fragment (also embedded live in the proposal
form with hx-get)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from openlance.accounts.models import User
from openlance.core import clock
from openlance.core.errors import DomainError, NotFound
from openlance.core.forms import add_domain_errors
from openlance.core.money import Money
from openlance.insights.forms import GigMathForm
from openlance.insights.gigmath import Bid, GigMath, gig_math
from openlance.jobs.models import JobPost, JobState
from openlance.jobs.selectors import jobs_visible_to
from openlance.profiles.views import role_required
from openlance.proposals.selectors import job_for_freelancer

# The calculator opens on SPEC §8.2's worked example rather than on an empty form.
EXAMPLE = {"bid_type": "fixed", "bid_amount": "600", "work_hours": "10", "pitch_hours": "1"}
JOB_CHOICES = 50
FIELDS = ("job", "bid_type", "bid_amount", "hourly_rate", "work_hours", "pitch_hours")


def _job_label(job: JobPost) -> str:
    return job.title if len(job.title) <= 70 else f"{job.title[:69]}…"


def _job_choices(user: User, selected: JobPost | None) -> list[tuple[int, str]]:
    """Recent open posts by others; the chosen one too when it is not among them (an
    invite-only post the freelancer was invited to, an older post)."""
    jobs = list(
        jobs_visible_to(viewer=user)
        .filter(state=JobState.OPEN)
        .exclude(client=user)
        .order_by("-published_at", "-id")[:JOB_CHOICES]
    )
    if selected is not None and selected not in jobs:
        jobs.insert(0, selected)
    return [(job.pk, _job_label(job)) for job in jobs]


def _calculate(user: User, form: GigMathForm) -> tuple[GigMath | None, JobPost | None]:
    """The gig math for a bound form, or None with the reasons added to the form."""
    if not form.is_valid():
        return None, None
    data = form.cleaned_data
    job = None
    if data["job"] is not None:
        try:
            job = job_for_freelancer(job_id=data["job"], viewer=user)
        except NotFound:
            form.add_error("job", "That job post is not open to you.")
            return None, None
    amount = Money(data["hourly_rate"] if data["bid_type"] == "hourly" else data["bid_amount"])
    bid = Bid.hourly(amount) if data["bid_type"] == "hourly" else Bid.fixed(amount)
    try:
        math = gig_math(
            freelancer=user,
            job=job,
            client=None,
            bid=bid,
            pitch_hours=data["pitch_hours"],
            work_hours=data["work_hours"],
            now=clock.now(),
        )
    except DomainError as error:
        add_domain_errors(form, error)
        return None, job
    return math, job


def _problems(form: GigMathForm) -> list[str]:
    """Errors as sentences that name their field, for a fragment shown away from the form."""
    problems: list[str] = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else None
        problems.extend(f"{label}: {error}" if label else str(error) for error in errors)
    return problems


def _bound(data: dict[str, Any]) -> GigMathForm:
    return GigMathForm({name: data[name] for name in FIELDS if name in data})


@role_required("freelancer")
@require_GET
def gig_math_page(request: HttpRequest) -> HttpResponse:
    """The calculator: pick an open job or bid freehand. Without htmx the form submits to
    this page; with it, results replace themselves from the fragment view as you type."""
    user = request.user
    assert isinstance(user, User)
    given = request.GET.dict()
    data = given if any(name in given for name in FIELDS[1:]) else {**EXAMPLE, **given}
    form = _bound(data)
    math, job = _calculate(user, form)
    form.offer_jobs(_job_choices(user, job))
    context = {"form": form, "math": math, "job": job, "problems": _problems(form)}
    return render(request, "insights/gig_math.html", context)


@require_GET
def gig_math_partial(request: HttpRequest) -> HttpResponse:
    """The result fragment for GET params job, bid_type, bid_amount, hourly_rate (dollars),
    work_hours and pitch_hours. Always 200 so htmx swaps it in: bad input shows as a
    message inside the fragment."""
    user = request.user
    context: dict[str, Any] = {"math": None, "job": None, "problems": []}
    if not isinstance(user, User):
        context["problems"] = ["Sign in as a freelancer to see the gig math."]
    elif "freelancer" not in user.roles:
        context["problems"] = ["Gig math is for freelancers: take up the freelancer role."]
    else:
        form = _bound(request.GET.dict())
        context["math"], context["job"] = _calculate(user, form)
        context["problems"] = _problems(form)
    return render(request, "insights/_gig_math_result.html", context)
