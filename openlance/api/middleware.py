"""A method an endpoint does not take is answered by Ninja with Django's bare 405, before
any of the API's exception handlers run; this gives it the API's problem+json shape."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from openlance.api.errors import API_PREFIX
from openlance.core.problems import PROBLEM_CONTENT_TYPE, problem_response


class MethodNotAllowedProblemMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code != 405
            or not request.path.startswith(API_PREFIX)
            or response.get("Content-Type") == PROBLEM_CONTENT_TYPE
        ):
            return response
        problem = problem_response(
            status=405,
            title="Method not allowed",
            detail=f"This endpoint does not take {request.method}.",
            code="method_not_allowed",
        )
        if response.has_header("Allow"):
            problem["Allow"] = response["Allow"]
        return problem
