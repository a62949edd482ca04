"""The client's side of job posts: write one (as a draft or published), list them by
state, edit, publish and close. The job's own page, which shows the client's vetting
signals, lives in the web layer."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openlance.accounts.auth import request_user
from openlance.accounts.models import User
from openlance.catalog.selectors import catalog_version, categories_all, skills_by_slugs
from openlance.core.errors import DomainError, NotFound
from openlance.core.forms import add_domain_errors, filters_cache_key
from openlance.jobs import search, selectors, services
from openlance.jobs.forms import JobPostForm, JobSearchForm
from openlance.jobs.models import JobPost, JobState
from openlance.jobs.search import JobSearchParams
from openlance.search.pages import SearchPage

# Service field names that the form spells differently.
FORM_FIELD = {"hourly_rate": "hourly_min", "attachment": "attachments"}


def _client(request: HttpRequest) -> User | None:
    user = request_user(request)
    return user if user.is_client else None


def _add_attachments(job: JobPost, uploads: list[UploadedFile]) -> None:
    for upload in uploads:
        services.job_attachment_add(job=job, upload=upload)


def _form_page(request: HttpRequest, form: JobPostForm, job: JobPost | None) -> HttpResponse:
    return render(
        request,
        "jobs/form.html",
        {"form": form, "job": job},
        status=422 if form.errors else 200,
    )


def _role_needed(request: HttpRequest) -> HttpResponse:
    return render(request, "web/role_needed.html", {"role": "client"}, status=403)


@login_required
@require_http_methods(["GET", "POST"])
def job_new(request: HttpRequest) -> HttpResponse:
    client = _client(request)
    if client is None:
        return _role_needed(request)
    if request.method != "POST":
        return _form_page(request, JobPostForm(), None)
    form = JobPostForm(request.POST, request.FILES)
    publish = request.POST.get("action") == "publish"
    if form.is_valid():
        try:
            # One transaction: a refused attachment leaves no half-made post behind.
            with transaction.atomic():
                job = services.job_create(client=client, draft=form.draft(), publish=publish)
                _add_attachments(job, form.cleaned_data["attachments"])
        except DomainError as error:
            add_domain_errors(form, error, FORM_FIELD)
        else:
            messages.success(
                request,
                "Your job is published." if publish else "Your job is saved as a draft.",
            )
            return redirect("job_detail", job_id=job.pk)
    return _form_page(request, form, None)


@login_required
@require_http_methods(["GET", "POST"])
def job_edit(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _own_job(request, job_id)
    if request.method != "POST":
        return _form_page(request, JobPostForm(initial=JobPostForm.initial_of(job)), job)
    form = JobPostForm(request.POST, request.FILES)
    publish = request.POST.get("action") == "publish"
    if form.is_valid():
        try:
            with transaction.atomic():
                services.job_update(job=job, draft=form.draft())
                _add_attachments(job, form.cleaned_data["attachments"])
                if publish and job.state == JobState.DRAFT:
                    services.job_publish(job=job)
        except DomainError as error:
            add_domain_errors(form, error, FORM_FIELD)
        else:
            messages.success(request, "Your job is published." if publish else "Changes saved.")
            return redirect("job_detail", job_id=job.pk)
    return _form_page(request, form, job)


def _own_job(request: HttpRequest, job_id: int) -> JobPost:
    try:
        return selectors.job_of_client(job_id=job_id, client=request_user(request))
    except NotFound:
        raise Http404("No such job post.") from None


@login_required
@require_POST
def job_publish(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _own_job(request, job_id)
    try:
        services.job_publish(job=job)
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, "Your job is published; freelancers can find it now.")
    return redirect("job_detail", job_id=job.pk)


@login_required
@require_POST
def job_close(request: HttpRequest, job_id: int) -> HttpResponse:
    """Stop taking proposals. Offers close a post with a hire when accepted; a post kept
    open after a hire still closes as hired here."""
    job = _own_job(request, job_id)
    try:
        services.job_close(job=job, hired=False)
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(
            request,
            "The job is closed. You hired on it, so Connects spent on it stay spent."
            if job.state == JobState.CLOSED_HIRED
            else "The job is closed without a hire; Connects spent on it go back.",
        )
    return redirect("job_detail", job_id=job.pk)


@login_required
@require_POST
def job_attachment_delete(request: HttpRequest, job_id: int, attachment_id: int) -> HttpResponse:
    job = _own_job(request, job_id)
    try:
        services.job_attachment_delete(job=job, attachment_id=attachment_id)
    except NotFound as error:
        raise Http404(error.detail) from None
    messages.success(request, "The attachment is removed.")
    return redirect("job_edit", job_id=job.pk)


MY_JOBS_PER_PAGE = 20

STATE_TABS = [
    ("", "All"),
    (JobState.DRAFT, "Drafts"),
    (JobState.OPEN, "Open"),
    (JobState.CLOSED_HIRED, "Hired"),
    (JobState.CLOSED_NO_HIRE, "No hire"),
    (JobState.EXPIRED, "Expired"),
    (JobState.REMOVED, "Removed"),
]


@login_required
@require_GET
def my_jobs(request: HttpRequest) -> HttpResponse:
    client = _client(request)
    if client is None:
        return _role_needed(request)
    state = request.GET.get("state", "")
    if state not in JobState.values:
        state = ""
    page = Paginator(
        selectors.jobs_of_client(client=client, state=state or None), MY_JOBS_PER_PAGE
    ).get_page(request.GET.get("page"))
    results = SearchPage(
        items=list(page.object_list),
        total=page.paginator.count,
        page=page.number,
        page_size=MY_JOBS_PER_PAGE,
    )
    # A page link asks by htmx for the list alone.
    is_htmx = request.headers.get("HX-Request") == "true"
    return render(
        request,
        "jobs/_mine_results.html" if is_htmx else "jobs/mine.html",
        {"results": results, "state": state, "tabs": STATE_TABS},
    )


def _work_params(data: dict[str, Any]) -> JobSearchParams:
    category = categories_all().filter(slug=data["category"]).first() if data["category"] else None
    return JobSearchParams(
        text=data["q"],
        sort=data["sort"] or search.JobSort.RELEVANCE,
        category_ids=(category.pk,) if category else (),
        skill_ids=tuple(skill.pk for skill in skills_by_slugs(data["skills"])),
        budget_types=tuple(data["budget_types"]),
        fixed_min_cents=data["fixed_min"],
        fixed_max_cents=data["fixed_max"],
        hourly_min_cents=data["hourly_min"],
        hourly_max_cents=data["hourly_max"],
        experience_levels=tuple(data["experience_levels"]),
        durations=tuple(data["durations"]),
        client_countries=(data["client_country"],) if data["client_country"] else (),
        client_payment_verified=data["payment_verified"],
        client_spent_min_cents=data["client_spent_min"],
        posted_within_days=data["posted_within"],
        proposals=tuple(data["proposals"]),
        page=data["page"] or 1,
    )


@require_GET
def search_jobs(request: HttpRequest) -> HttpResponse:
    """Find work. htmx requests (a filter changed, a page link) get only the results."""
    form = JobSearchForm(request.GET)
    results = None
    if form.is_valid():
        try:
            results = search.search_jobs(
                viewer=request.user, params=_work_params(form.cleaned_data)
            )
        except DomainError as error:
            add_domain_errors(form, error, JobSearchForm.FIELD_OF_PARAM)
    is_htmx = request.headers.get("HX-Request") == "true"
    if is_htmx:
        return render(request, "jobs/_work_results.html", {"form": form, "results": results})
    filters_key = filters_cache_key(
        form, request.GET, version=catalog_version(), skip=("q", "sort", "page")
    )
    return render(
        request,
        "jobs/search.html",
        {"form": form, "results": results, "filters_key": filters_key},
    )
