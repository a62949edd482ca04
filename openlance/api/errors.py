"""Every API error is application/problem+json (RFC 9457), never an HTML page or a 500
for bad input."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import (
    BadRequest,
    ObjectDoesNotExist,
    PermissionDenied,
    SuspiciousOperation,
)
from django.http import Http404, HttpRequest, HttpResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.views import defaults
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from openlance.accounts.auth import CsrfFailed
from openlance.core.errors import DomainError
from openlance.core.money import MoneyError
from openlance.core.problems import (
    problem_from_dict,
    problem_response,
    refused_request_problem,
)

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
# Django raises these while reading a body it cannot parse (request.POST, request.FILES):
# a multipart body without a boundary or cut short, a client that stopped sending.
UNREADABLE_BODY = (MultiPartParserError, UnreadablePostError, BadRequest)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400 handler: problem+json for the API (a request refused before it reached
    an endpoint, e.g. by a middleware reading its body), the usual page elsewhere."""
    if request.path.startswith(API_PREFIX):
        if isinstance(exception, SuspiciousOperation):
            return refused_request_problem(exception)
        return unreadable_body_problem()
    return defaults.bad_request(request, exception)


def unreadable_body_problem() -> HttpResponse:
    return problem_response(
        status=400,
        title="Bad request",
        detail="The request body could not be read: check it matches its Content-Type.",
        code="bad_request",
    )


def _field(loc: Any) -> str:
    parts = [str(part) for part in loc if part not in ("body", "payload", "query", "path")]
    return ".".join(parts) or "body"


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(ValidationError)
    def validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [
            {"field": _field(error.get("loc", ())), "message": error.get("msg", "Invalid value.")}
            for error in exc.errors
        ]
        return problem_response(
            status=422,
            title="Invalid input",
            detail="The request has invalid fields; see errors.",
            code="invalid_input",
            errors=errors,
        )

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = problem_response(
            status=401,
            title="Not authenticated",
            detail="Sign in, or send a personal access token as 'Authorization: Bearer <token>'.",
            code="not_authenticated",
        )
        # RFC 6750 §3: the scheme to use, and whether the token sent was the problem.
        challenge = 'Bearer realm="openlance"'
        if request.headers.get("Authorization", "")[:7].lower() == "bearer ":
            challenge += ', error="invalid_token"'
        response["WWW-Authenticate"] = challenge
        return response

    @api.exception_handler(CsrfFailed)
    def csrf_failed(request: HttpRequest, exc: CsrfFailed) -> HttpResponse:
        return problem_response(
            status=403, title="CSRF check failed", detail=str(exc), code="csrf_failed"
        )

    def unreadable_body(request: HttpRequest, exc: Exception | type[Exception]) -> HttpResponse:
        return unreadable_body_problem()

    for exc_class in UNREADABLE_BODY:
        api.add_exception_handler(exc_class, unreadable_body)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        titles = {400: "Bad request", 403: "Forbidden", 404: "Not found", 405: "Method not allowed"}
        return problem_response(
            status=exc.status_code,
            title=titles.get(exc.status_code, "Error"),
            detail=str(exc),
            code="bad_request" if exc.status_code == 400 else f"http_{exc.status_code}",
        )

    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return problem_from_dict(exc.as_problem())

    @api.exception_handler(MoneyError)
    def money_error(request: HttpRequest, exc: MoneyError) -> HttpResponse:
        return problem_response(
            status=422, title="Invalid amount", detail=str(exc), code="invalid_amount"
        )

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return problem_response(
            status=403,
            title="Forbidden",
            detail=str(exc) or "You may not do this.",
            code="forbidden",
        )

    @api.exception_handler(SuspiciousOperation)
    def suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        return refused_request_problem(exc)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return problem_response(
            status=404, title="Not found", detail="No such object.", code="not_found"
        )

    @api.exception_handler(ObjectDoesNotExist)
    def does_not_exist(request: HttpRequest, exc: Exception) -> HttpResponse:
        return not_found(request, exc)

    @api.exception_handler(RecursionError)
    def too_deep(request: HttpRequest, exc: RecursionError) -> HttpResponse:
        # json.loads gives up on input nested a thousand levels deep with this error (a
        # handler parsing its own body may not expect it); any other recursion is a bug.
        if "decoding a JSON" in str(exc):
            return problem_response(
                status=400,
                title="Bad request",
                detail="The JSON body is nested too deeply.",
                code="bad_request",
            )
        return unexpected(request, exc)

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("Unhandled API error on %s %s", request.method, request.path)
        return problem_response(
            status=500,
            title="Internal error",
            detail="Something failed on our side; nothing was changed by a half-done request.",
            code="internal_error",
        )
