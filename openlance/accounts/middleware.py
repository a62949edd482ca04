from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from openlance.accounts.auth import user_for_token


class BearerTokenMiddleware:
    """Resolve an API bearer token to its user before the rest of the stack runs, so that
    idempotency keys, rate limits and logs see the same user whether a script or the
    browser made the call. The API's own auth still decides who may call what."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        authorization = request.headers.get("Authorization", "")
        if request.path.startswith("/api/") and authorization[:7].lower() == "bearer ":
            user = user_for_token(authorization[7:].strip())
            if user is not None:
                request.user = user
        return self.get_response(request)
