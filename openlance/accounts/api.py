from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile

from openlance.accounts import selectors, services
from openlance.accounts.auth import request_user, scope_first
from openlance.accounts.models import LocationVerification, Role, User, VerificationStatus
from openlance.core.apitools import OneOf, Page, PageQuery, StrictSchema, paginate

router = Router(tags=["accounts"])
tokens_router = Router(tags=["tokens"])

RoleValue = Annotated[str, OneOf(Role)]
VerificationStatusValue = Annotated[str, OneOf(VerificationStatus)]


class MeOut(Schema):
    id: int
    email: str
    first_name: str
    last_name: str
    display_name: str
    public_name: str
    roles: list[RoleValue]
    active_role: RoleValue
    email_verified: bool
    two_factor_enabled: bool
    date_joined: datetime


class MeUpdateIn(StrictSchema):
    first_name: str = Field(min_length=1, max_length=150)
    last_name: str = Field(min_length=1, max_length=150)


class RoleIn(StrictSchema):
    role: RoleValue = Field(examples=["client"])


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
    return _me(request_user(request))


@router.patch("/me", response=MeOut, summary="Change your name")
def me_update(request: HttpRequest, payload: MeUpdateIn) -> MeOut:
    user = services.user_update_name(
        user=request_user(request), first_name=payload.first_name, last_name=payload.last_name
    )
    return _me(user)


@router.post("/me/role", response=MeOut, summary="Switch between freelancer and client")
def me_switch_role(request: HttpRequest, payload: RoleIn) -> MeOut:
    return _me(services.user_switch_role(user=request_user(request), role=payload.role))


@tokens_router.get("/tokens", response=Page[TokenOut], summary="Your personal access tokens")
def tokens_list(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    page = paginate(selectors.tokens_of_user(user=request_user(request)), query)
    page["items"] = [_token(token) for token in page["items"]]
    return page


@tokens_router.post("/tokens", response={201: TokenCreatedOut}, summary="Create a token")
def tokens_create(
    request: HttpRequest, response: HttpResponse, payload: TokenCreateIn
) -> Status[dict[str, Any]]:
    """The secret is in this response only: it is marked no-store so that no cache, and no
    idempotency record, keeps a copy."""
    response["Cache-Control"] = "no-store"
    token, secret = services.token_create(user=request_user(request), name=payload.name)
    return Status(201, _token(token, secret))


@tokens_router.delete("/tokens/{token_id}", response={204: None}, summary="Revoke a token")
def tokens_revoke(request: HttpRequest, token_id: int) -> Status[None]:
    services.token_revoke(user=request_user(request), token_id=token_id)
    return Status(204, None)


verification_router = Router(tags=["verification"])


class VerificationOut(Schema):
    id: int
    user_id: int
    country: str
    city: str
    status: VerificationStatusValue
    reason: str
    note: str
    appeal_of: int | None
    submitted_at: datetime
    reviewed_at: datetime | None


class VerificationIn(Schema):
    country: str = Field(max_length=2, examples=["US"])
    city: str = Field(max_length=100)
    note: str = Field(default="", max_length=2000)


class AppealIn(Schema):
    note: str = Field(min_length=1, max_length=2000)


class RejectIn(StrictSchema):
    reason: str = Field(min_length=1, max_length=2000)


class VerificationQuery(PageQuery):
    status: VerificationStatusValue = "submitted"


def _verification(v: LocationVerification) -> VerificationOut:
    return VerificationOut(
        id=v.pk,
        user_id=v.user_id,
        country=v.country.code,
        city=v.city,
        status=v.status,
        reason=v.reason,
        note=v.note,
        appeal_of=v.appeal_of_id,
        submitted_at=v.submitted_at,
        reviewed_at=v.reviewed_at,
    )


@verification_router.get(
    "/me/verifications", response=list[VerificationOut], summary="Your location verifications"
)
def my_verifications(request: HttpRequest) -> list[VerificationOut]:
    return [_verification(v) for v in selectors.verifications_of_user(user=request_user(request))]


@verification_router.post(
    "/me/verifications", response={201: VerificationOut}, summary="Ask to verify your location"
)
def my_verification_submit(
    request: HttpRequest,
    payload: Form[VerificationIn],
    id_document: File[UploadedFile],
    proof_of_address: File[UploadedFile],
) -> Status[VerificationOut]:
    verification = services.location_verification_submit(
        user=request_user(request),
        country=payload.country,
        city=payload.city,
        note=payload.note,
        id_document=id_document,
        proof_of_address=proof_of_address,
    )
    return Status(201, _verification(verification))


@verification_router.post(
    "/me/verifications/{verification_id}/appeal",
    response={201: VerificationOut},
    summary="Appeal a rejection with new evidence",
)
@scope_first(
    lambda request, verification_id: selectors.verification_of_user(
        user=request_user(request), verification_id=verification_id
    )
)
def my_verification_appeal(
    request: HttpRequest,
    verification_id: int,
    payload: Form[AppealIn],
    id_document: File[UploadedFile],
    proof_of_address: File[UploadedFile],
) -> Status[VerificationOut]:
    user = request_user(request)
    rejected = selectors.verification_of_user(user=user, verification_id=verification_id)
    appeal = services.location_verification_appeal(
        user=user,
        rejected=rejected,
        note=payload.note,
        id_document=id_document,
        proof_of_address=proof_of_address,
    )
    return Status(201, _verification(appeal))


@verification_router.get(
    "/verifications", response=Page[VerificationOut], summary="The verifier queue (verifiers)"
)
def verification_queue(request: HttpRequest, query: Query[VerificationQuery]) -> dict[str, Any]:
    page = paginate(
        selectors.verification_queue(reviewer=request_user(request), status=query.status), query
    )
    page["items"] = [_verification(v) for v in page["items"]]
    return page


@verification_router.post(
    "/verifications/{verification_id}/approve",
    response=VerificationOut,
    summary="Approve a location (verifiers)",
)
def verification_approve(request: HttpRequest, verification_id: int) -> VerificationOut:
    reviewer = request_user(request)
    verification = selectors.verification_for_reviewer(
        reviewer=reviewer, verification_id=verification_id
    )
    return _verification(
        services.location_verification_approve(verification=verification, reviewer=reviewer)
    )


@verification_router.post(
    "/verifications/{verification_id}/reject",
    response=VerificationOut,
    summary="Reject a location with a reason (verifiers)",
)
@scope_first(
    lambda request, verification_id: selectors.verification_for_reviewer(
        reviewer=request_user(request), verification_id=verification_id
    )
)
def verification_reject(
    request: HttpRequest, verification_id: int, payload: RejectIn
) -> VerificationOut:
    reviewer = request_user(request)
    verification = selectors.verification_for_reviewer(
        reviewer=reviewer, verification_id=verification_id
    )
    return _verification(
        services.location_verification_reject(
            verification=verification, reviewer=reviewer, reason=payload.reason
        )
    )
