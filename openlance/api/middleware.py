"""The API's answers to requests no endpoint should see, in its problem+json shape.

Before the view: a request target (path and query) over `MAX_REQUEST_TARGET_BYTES` is a
414; a NUL character in the path or query, or a query string that is not well-formed
percent-encoded UTF-8, is a 400; a Content-Length that is not a number is a 400 and one
over `MAX_REQUEST_BODY_BYTES` a 413, before a byte of the body is read.

After it: a method an endpoint does not take is answered by Ninja with Django's bare 405,
before any of the API's exception handlers run; this gives it the API's shape.

Outside /api/ nothing changes (pages keep Django's and the web server's own answers)."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.core.handlers.wsgi import get_bytes_from_wsgi
from django.http import HttpRequest, HttpResponse

from openlance.api.errors import API_PREFIX
from openlance.core.problems import PROBLEM_CONTENT_TYPE, problem_response

# gunicorn refuses request lines over its --limit-request-line (8190 in the Procfile, its
# maximum) with an HTML 414 of its own; below that the API answers long targets itself,
# with a limit comfortably under it so the method and protocol always fit around it.
MAX_REQUEST_TARGET_BYTES = 4096
# The largest legitimate API body: a contract submission of 10 files of 25 MB, with room
# for the multipart framing. Each endpoint checks its own, smaller, limits on the files.
MAX_REQUEST_BODY_BYTES = 300 * 1024 * 1024

_BAD_PERCENT = re.compile(rb"%(?![0-9A-Fa-f]{2})")


def _request_problem(request: HttpRequest) -> HttpResponse | None:
    if len(request.get_full_path().encode()) > MAX_REQUEST_TARGET_BYTES:
        return problem_response(
            status=414,
            title="URI too long",
            detail=f"The path and query string may be at most {MAX_REQUEST_TARGET_BYTES} bytes.",
            code="uri_too_long",
        )
    if "\x00" in request.path:
        return _bad_request("The path may not contain NUL characters.")
    query = get_bytes_from_wsgi(request.META, "QUERY_STRING", "")
    if query:
        if _BAD_PERCENT.search(query):
            return _bad_request("The query string has a '%' not followed by two hex digits.")
        decoded = unquote_to_bytes(query.replace(b"+", b" "))
        if b"\x00" in decoded:
            return _bad_request("The query string may not contain NUL characters.")
        try:
            decoded.decode("utf-8")
        except UnicodeDecodeError:
            return _bad_request("The query string must be percent-encoded UTF-8.")
    length = request.META.get("CONTENT_LENGTH") or ""
    if length:
        if not (length.isascii() and length.isdigit()):
            return _bad_request("Content-Length must be a number of bytes.")
        if int(length) > MAX_REQUEST_BODY_BYTES:
            return problem_response(
                status=413,
                title="Request too large",
                detail="The request body is larger than this API accepts.",
                code="request_too_large",
            )
    return None


def _bad_request(detail: str) -> HttpResponse:
    return problem_response(status=400, title="Bad request", detail=detail, code="bad_request")


class ApiRequestProblemMiddleware:
    """Refuses the malformed requests above, and reshapes 405s (see the module)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        refused = _request_problem(request)
        if refused is not None:
            return refused
        response = self.get_response(request)
        if response.status_code != 405 or response.get("Content-Type") == PROBLEM_CONTENT_TYPE:
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
