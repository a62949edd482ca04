"""RFC 9457 problem+json responses, shared by the API and the Django error handlers."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import HttpResponse

PROBLEM_CONTENT_TYPE = "application/problem+json"


def problem_response(
    *,
    status: int,
    title: str,
    detail: str,
    code: str,
    errors: list[dict[str, Any]] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": f"https://openlance.dev/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    return problem_from_dict(body)


def problem_from_dict(body: dict[str, Any]) -> HttpResponse:
    return HttpResponse(
        json.dumps(body), status=int(body["status"]), content_type=PROBLEM_CONTENT_TYPE
    )


def refused_request_problem(exc: SuspiciousOperation) -> HttpResponse:
    """The answer to a request Django will not parse: too big, or too many fields or files."""
    if isinstance(exc, RequestDataTooBig):
        return problem_response(
            status=413,
            title="Request too large",
            detail="The request body is larger than this API accepts.",
            code="request_too_large",
        )
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        detail = "The request has more fields or files than this API accepts."
    else:
        detail = "The request could not be read."
    return problem_response(status=400, title="Bad request", detail=detail, code="bad_request")
