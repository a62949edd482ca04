"""The explanation of the signed-in freelancer's own Job Success Score
(/profile/job-success/, beside "How do I rank?") and of their badges (/profile/badges/).
Their URLs name nobody: each freelancer reaches only their own, so there is no id to guess;
without the freelancer role they offer to take it up, as the other profile pages do
(`profiles.views.role_required`). What each badge takes is public (/badges/)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from openlance.accounts.auth import request_user
from openlance.core import clock
from openlance.profiles.views import role_required
from openlance.reputation.selectors import badge_criteria, badges_explanation, jss_explanation


@role_required("freelancer")
@require_GET
def jss_page(request: HttpRequest) -> HttpResponse:
    explanation = jss_explanation(user=request_user(request), now=clock.now())
    return render(request, "reputation/jss.html", {"x": explanation})


@role_required("freelancer")
@require_GET
def badges_page(request: HttpRequest) -> HttpResponse:
    explanation = badges_explanation(user=request_user(request), now=clock.now())
    return render(request, "reputation/badges.html", {"x": explanation})


@require_GET
def badge_criteria_page(request: HttpRequest) -> HttpResponse:
    return render(request, "reputation/badges.html", {"x": badge_criteria(now=clock.now())})
