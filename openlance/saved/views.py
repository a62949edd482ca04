"""Saved jobs (/saved/jobs/) and saved freelancers (/saved/freelancers/), and the save button
each job page and freelancer profile loads (htmx) and toggles in place."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from openlance.accounts.auth import request_user
from openlance.core.errors import DomainError, NotFound
from openlance.saved import selectors, services

PAGE_SIZE = 20


@login_required
@require_GET
def saved_jobs(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    page = Paginator(selectors.saved_jobs_of(user=user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "saved/jobs.html", {"page": page})


@login_required
@require_GET
def saved_freelancers(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    page = Paginator(selectors.saved_freelancers_of(client=user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "saved/freelancers.html", {"page": page})


def _button(
    request: HttpRequest, kind: str, object_id: int, saved: bool, refusal: str = ""
) -> HttpResponse:
    return render(
        request,
        "saved/_button.html",
        {"kind": kind, "object_id": object_id, "saved": saved, "refusal": refusal},
    )


@login_required
@require_GET
def job_button(request: HttpRequest, job_id: int) -> HttpResponse:
    user = request_user(request)
    if not user.is_freelancer:
        return HttpResponse("")
    return _button(request, "job", job_id, selectors.job_is_saved(user=user, job_id=job_id))


@login_required
@require_GET
def freelancer_button(request: HttpRequest, user_id: int) -> HttpResponse:
    user = request_user(request)
    if not user.is_client or user.pk == user_id:
        return HttpResponse("")
    saved = selectors.freelancer_is_saved(client=user, freelancer_id=user_id)
    return _button(request, "freelancer", user_id, saved)


def _toggle(request: HttpRequest, kind: str, object_id: int) -> HttpResponse:
    user = request_user(request)
    save = request.POST.get("save") == "1"
    refusal = ""
    try:
        if kind == "job":
            if save:
                services.job_save(user=user, job_id=object_id)
            else:
                services.job_unsave(user=user, job_id=object_id)
        elif save:
            services.freelancer_save(client=user, freelancer_id=object_id)
        else:
            services.freelancer_unsave(client=user, freelancer_id=object_id)
    except NotFound as missing:
        raise Http404(missing.detail) from None
    except DomainError as error:
        refusal = error.detail
    saved = save and not refusal
    if getattr(request, "htmx", False):
        return _button(request, kind, object_id, saved, refusal)
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect(reverse("saved_jobs" if kind == "job" else "saved_freelancers"))


@login_required
@require_POST
def job_toggle(request: HttpRequest, job_id: int) -> HttpResponse:
    return _toggle(request, "job", job_id)


@login_required
@require_POST
def freelancer_toggle(request: HttpRequest, user_id: int) -> HttpResponse:
    return _toggle(request, "freelancer", user_id)
