"""RFC 9457 problem+json responses, shared by the API and the Django error handlers, and
their entries in the OpenAPI document."""

from __future__ import annotations

import json
from http.client import responses
from typing import Any

from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import HttpResponse

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_SCHEMA_REF = "#/components/schemas/Problem"

# What each status means on this API, as the OpenAPI document says it.
WHY = {
    400: "Bad request: the query string or body could not be read.",
    401: "Not authenticated: send a personal access token, or sign in.",
    402: "Payment declined: nothing was charged.",
    403: "Forbidden: the browser session's CSRF check failed, or you may not do this.",
    404: "Not found: no such object, or not one you may see.",
    409: "Conflict: not allowed in the object's current state, or an Idempotency-Key reused.",
    413: "Request too large.",
    422: "Invalid input: see `errors` for the fields.",
    429: "Too many requests: wait before sending more.",
    502: (
        "Payment provider unavailable: the outcome is unknown and nothing was booked; "
        "send the request again with the same Idempotency-Key."
    ),
}


def problem_answer(status: int, description: str | None = None) -> dict[str, Any]:
    """The OpenAPI Response Object of a problem+json answer with `status`."""
    return {
        "description": description or WHY.get(status, responses.get(status, "Error")),
        "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": PROBLEM_SCHEMA_REF}}},
    }


def problems(*statuses: int) -> dict[str, Any]:
    """A route's `openapi_extra` (Ninja merges it into the operation) listing the statuses it
    can answer that the document cannot derive from the operation's shape (api.schema):
    `openapi_extra=problems(429)` on a rate limited write, `problems(402, 502)` on one that
    charges a card, `problems(404)` on one that looks up ids given in its body or query,
    `problems(422)` on a read that needs a role the account may not hold."""
    return {"responses": {status: problem_answer(status) for status in statuses}}


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
