"""API authentication: personal access tokens as Bearer, or the browser session with CSRF."""

from __future__ import annotations

import hashlib
from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from openlance.accounts.models import PersonalAccessToken, User
from openlance.core import clock

TOKEN_PREFIX = "olp_"


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def user_for_token(secret: str) -> User | None:
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = (
        PersonalAccessToken.objects.select_related("user")
        .filter(token_hash=token_digest(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = clock.now()
    # Touch at most once a minute so a busy script does not write on every request.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


class BearerTokenAuth(HttpBearer):
    openapi_description = "A personal access token (create one under Account → API tokens)."

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


def request_user(request: HttpRequest) -> User:
    """The signed-in user of a request that authentication let through (a view behind
    login_required or a role check, an API operation with auth): a session user or a
    token's (`BearerTokenMiddleware` and `BearerTokenAuth` set `request.user`)."""
    user = request.user
    assert isinstance(user, User), "request_user is for requests that passed authentication"
    return user
