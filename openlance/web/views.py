from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.views.decorators.http import require_GET

from openlance.accounts.models import User
from openlance.billing.views import fee_calculator_context
from openlance.core import clock
from openlance.core.errors import NotFound
from openlance.core.models import PolicyKind
from openlance.core.policies import parse_params, policy_version_at
from openlance.core.problems import problem_response
from openlance.core.selectors import policy_versions
from openlance.ledger.selectors import accounts_of_user
from openlance.web.policy_display import describe

API_PREFIX = "/api/"


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {}
    if isinstance(request.user, User):
        context["ledger_accounts"] = list(accounts_of_user(user=request.user))
    return render(request, "web/home.html", context)


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
