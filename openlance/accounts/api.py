from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from openlance.accounts import selectors, services
from openlance.accounts.models import User
from openlance.core.apitools import Page, PageQuery, StrictSchema, paginate

router = Router(tags=["accounts"])
tokens_router = Router(tags=["tokens"])


class MeOut(Schema):
    id: int
    email: str
    first_name: str
    last_name: str
    display_name: str
    public_name: str
    roles: list[str]
    active_role: str
    email_verified: bool
    two_factor_enabled: bool
    date_joined: datetime


class MeUpdateIn(StrictSchema):
    first_name: str = Field(min_length=1, max_length=150)
    last_name: str = Field(min_length=1, max_length=150)


class RoleIn(StrictSchema):
    role: str = Field(pattern="^(freelancer|client)$", examples=["client"])


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    active: bool


class TokenCreateIn(StrictSchema):
    name: str = Field(min_length=1, max_length=80, examples=["time tracker"])


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The secret. Shown this once; store it now.")


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _me(user: User) -> MeOut:
    return MeOut(
        id=user.pk,
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
        display_name=user.display_name,
        public_name=user.public_name,
        roles=user.roles,
        active_role=user.active_role,
        email_verified=selectors.email_verified(user=user),
        two_factor_enabled=selectors.two_factor_enabled(user=user),
        date_joined=user.date_joined,
    )


def _token(token: Any, secret: str | None = None) -> dict[str, Any]:
    data = {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
        "active": token.is_active,
    }
    if secret is not None:
        data["token"] = secret
    return data


@router.get("/me", response=MeOut, summary="The signed-in account")
def me_get(request: HttpRequest) -> MeOut:
    return _me(_user(request))


@router.patch("/me", response=MeOut, summary="Change your name")
def me_update(request: HttpRequest, payload: MeUpdateIn) -> MeOut:
    user = services.user_update_name(
        user=_user(request), first_name=payload.first_name, last_name=payload.last_name
    )
    return _me(user)


@router.post("/me/role", response=MeOut, summary="Switch between freelancer and client")
def me_switch_role(request: HttpRequest, payload: RoleIn) -> MeOut:
    return _me(services.user_switch_role(user=_user(request), role=payload.role))


@tokens_router.get("/tokens", response=Page[TokenOut], summary="Your personal access tokens")
def tokens_list(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    page = paginate(selectors.tokens_of_user(user=_user(request)), query)
    page["items"] = [_token(token) for token in page["items"]]
    return page


@tokens_router.post("/tokens", response={201: TokenCreatedOut}, summary="Create a token")
def tokens_create(request: HttpRequest, payload: TokenCreateIn) -> Status[dict[str, Any]]:
    token, secret = services.token_create(user=_user(request), name=payload.name)
    return Status(201, _token(token, secret))


@tokens_router.delete("/tokens/{token_id}", response={204: None}, summary="Revoke a token")
def tokens_revoke(request: HttpRequest, token_id: int) -> Status[None]:
    services.token_revoke(user=_user(request), token_id=token_id)
    return Status(204, None)
