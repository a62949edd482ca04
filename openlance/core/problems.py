"""RFC 9457 problem+json responses, shared by the API and the Django error handlers."""

from __future__ import annotations

import json
from typing import Any

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
