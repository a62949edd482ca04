"""The explanation of the signed-in freelancer's own Job Success Score
(/profile/job-success/, beside "How do I rank?"). Its URL names nobody: each freelancer
reaches only their own, so there is no id to guess; without the freelancer role it offers
to take it up, as the other profile pages do."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from openlance.accounts.auth import request_user
from openlance.core import clock
from openlance.reputation.selectors import jss_explanation

ROLE = "freelancer"


@login_required
@require_GET
def jss_page(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if ROLE not in user.roles:
        return render(request, "web/role_needed.html", {"role": ROLE}, status=403)
    explanation = jss_explanation(user=user, now=clock.now())
    return render(request, "reputation/jss.html", {"x": explanation})
