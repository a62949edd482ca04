"""API authentication: personal access tokens as Bearer, or the browser session with CSRF;
and `scope_first`, which keeps an operation's input errors from telling a stranger that an
object exists."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

import pydantic
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from ninja.operation import Operation
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth
from ninja.utils import check_csrf, contribute_operation_callback

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


class CsrfFailed(PermissionDenied):
    """A write with the browser session but without the session's CSRF token."""


class SessionAuth(NinjaSessionAuth):
    """The browser session, with Django's CSRF check for writes. The check protects a
    signed-in session; a request without one (anonymous, or a bearer token that did not
    authenticate) has nothing to protect and is simply not authenticated: a 401, not a
    CSRF 403. (Named as Ninja's, whose name the OpenAPI document gives the scheme.)"""

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super().__call__(request)

    def _get_key(self, request: HttpRequest) -> str | None:
        exempt = getattr(request, "_ninja_csrf_exempt", False)
        if self.csrf and not exempt and check_csrf(request) is not None:
            raise CsrfFailed(
                "CSRF check failed: a browser session must send the csrftoken cookie's "
                "value as the X-CSRFToken header (scripts use a personal access token)."
            )
        return request.COOKIES.get(self.param_name)


def request_user(request: HttpRequest) -> User:
    """The signed-in user of a request that authentication let through (a view behind
    login_required or a role check, an API operation with auth): a session user or a
    token's (`BearerTokenMiddleware` and `BearerTokenAuth` set `request.user`)."""
    user = request.user
    assert isinstance(user, User), "request_user is for requests that passed authentication"
    return user


# --- an object you may not see is a 404, whatever the body -------------------------------

View = TypeVar("View", bound=Callable[..., Any])


def scope_first(lookup: Callable[..., object]) -> Callable[[View], View]:
    """Put under `@router.post(...)` (or put/patch) of an operation on an object named by a
    path id: `@scope_first(lambda request, offer_id: offer_of(user=request_user(request),
    offer_id=offer_id))`.

    Ninja validates the body (and query) before the handler runs, so without this a
    stranger posting a bad body to someone else's object gets a 422 (or a 400 for a body
    that does not parse) where the owner's object would, and a 404 where there is none: an
    existence oracle. With it, when the input fails, `lookup` is called first with the
    request and the path parameters; it runs the operation's scoped selector, so an
    object the user may not see raises its 404 and the input error is only reported to
    someone who may see the object. Valid input costs nothing extra: the handler scopes as
    before. The OpenAPI document is unchanged."""

    def decorate(view: View) -> View:
        def contribute(operation: Operation) -> None:
            if operation.is_async or type(operation) is not Operation:
                raise TypeError(f"scope_first is for plain sync operations ({operation.path})")
            # A subclass per operation carries the lookup: Ninja clones operations when a
            # router is mounted, and a clone keeps its class.
            operation.__class__ = type(
                "ScopeFirstOperation", (_ScopeFirstOperation,), {"lookup": staticmethod(lookup)}
            )

        contribute_operation_callback(view, contribute)
        return view

    return decorate


class _ScopeFirstOperation(Operation):
    lookup: Callable[..., object]

    def _get_values(
        self, request: HttpRequest, path_params: Any, temporal_response: HttpResponse
    ) -> dict[str, Any]:
        try:
            return super()._get_values(request, path_params, temporal_response)
        except Exception:
            ids = self._path_values(request, path_params)
            if ids is not None:
                self.lookup(request, **ids)  # raises the 404 of an object out of scope
            raise

    def _path_values(self, request: HttpRequest, path_params: Any) -> dict[str, Any] | None:
        """The typed path parameters, or None when they are themselves invalid (then the
        error is about the caller's own URL and says nothing about anyone's object)."""
        values: dict[str, Any] = {}
        for model in self.models:
            if getattr(model, "__ninja_param_source__", None) != "path":
                continue
            try:
                values.update(dict(model.resolve(request, self.api, path_params)))
            except pydantic.ValidationError:
                return None
        return values
