from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django_countries import countries

from openlance.accounts.auth import TOKEN_PREFIX, token_digest
from openlance.accounts.models import (
    AuditLogEntry,
    LocationVerification,
    PersonalAccessToken,
    Role,
    SignInHint,
    User,
    VerificationStatus,
)
from openlance.accounts.selectors import is_verifier
from openlance.core import clock
from openlance.core.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from openlance.core.services import event_emit
from openlance.core.uploads import checked_document

MAX_ACTIVE_TOKENS = 20


def user_set_roles(*, user: User, freelancer: bool, client: bool) -> User:
    if not (freelancer or client):
        raise InvalidInput(
            "Choose at least one role.",
            field_errors={"roles": ["Pick freelancer, client or both."]},
        )
    joins = freelancer and not user.is_freelancer
    leaves = user.is_freelancer and not freelancer
    user.is_freelancer = freelancer
    user.is_client = client
    if user.active_role == Role.FREELANCER and not freelancer:
        user.active_role = Role.CLIENT
    elif user.active_role == Role.CLIENT and not client:
        user.active_role = Role.FREELANCER
    with transaction.atomic():
        user.save(update_fields=["is_freelancer", "is_client", "active_role"])
        if joins:
            _freelancer_joined(user)
        if leaves:
            # Search stops listing the profiles of someone who gave the role up.
            event_emit(kind="accounts.freelancer_left", payload={"user_id": user.pk})
    return user


def _freelancer_joined(user: User) -> None:
    """Other features greet a new freelancer (the Connects welcome grant) from this event."""
    event_emit(kind="accounts.freelancer_joined", payload={"user_id": user.pk})


def user_switch_role(*, user: User, role: str) -> User:
    """Wear the other hat. Switching to a role one does not hold yet takes it up."""
    try:
        wanted = Role(role)
    except ValueError:
        raise InvalidInput(
            f"{role!r} is not a role.", field_errors={"role": ["Use freelancer or client."]}
        ) from None
    joins = wanted == Role.FREELANCER and not user.is_freelancer
    if wanted == Role.FREELANCER:
        user.is_freelancer = True
    else:
        user.is_client = True
    user.active_role = wanted
    with transaction.atomic():
        user.save(update_fields=["is_freelancer", "is_client", "active_role"])
        if joins:
            _freelancer_joined(user)
    return user


def user_update_name(*, user: User, first_name: str, last_name: str) -> User:
    first, last = first_name.strip(), last_name.strip()
    errors = {}
    if not first:
        errors["first_name"] = ["Required."]
    if not last:
        errors["last_name"] = ["Required."]
    if len(first) > 150 or len(last) > 150:
        errors["name"] = ["At most 150 characters."]
    if errors:
        raise InvalidInput("Your name is incomplete.", field_errors=errors)
    user.first_name, user.last_name = first, last
    user.save(update_fields=["first_name", "last_name"])
    return user


def token_create(*, user: User, name: str) -> tuple[PersonalAccessToken, str]:
    """Create a token and return it with its secret, which is never retrievable again."""
    name = name.strip()
    if not name or len(name) > 80:
        raise InvalidInput(
            "Give the token a name of 1 to 80 characters.",
            field_errors={"name": ["1 to 80 characters."]},
        )
    with transaction.atomic():
        active = PersonalAccessToken.objects.select_for_update().filter(
            user=user, revoked_at__isnull=True
        )
        if active.count() >= MAX_ACTIVE_TOKENS:
            raise InvalidInput(
                f"You already have {MAX_ACTIVE_TOKENS} active tokens; revoke one first.",
                field_errors={"name": ["Too many active tokens."]},
            )
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = PersonalAccessToken.objects.create(
            user=user,
            name=name,
            prefix=secret[: len(TOKEN_PREFIX) + 6],
            token_hash=token_digest(secret),
            created_at=clock.now(),
        )
    return token, secret


def token_revoke(*, user: User, token_id: int) -> PersonalAccessToken:
    token = PersonalAccessToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        raise NotFound("No such token.")
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
    return token


def user_access_refusals(
    *, actor: User, user: User, is_active: bool, is_staff: bool, is_superuser: bool
) -> dict[str, list[str]]:
    """Why `user_set_access` would refuse these flags (empty when it would not), so the
    console can show the refusal on its form before saving anything."""
    refusals: dict[str, list[str]] = {}
    if user.pk == actor.pk and not (is_active and is_staff):
        refusals["is_staff"] = ["You cannot lock yourself out; ask another operator."]
    if is_superuser and not user.is_superuser and not actor.is_superuser:
        refusals["is_superuser"] = ["Only a superuser can make a superuser."]
    return refusals


def user_set_access(
    *,
    actor: User,
    user: User,
    is_active: bool,
    is_staff: bool,
    is_superuser: bool,
    groups: Iterable[Group],
) -> User:
    """An operator grants or withdraws console access and staff roles, or deactivates an
    account (never deletes it: it may hold money or history). Recorded in the audit log."""
    refusals = user_access_refusals(
        actor=actor, user=user, is_active=is_active, is_staff=is_staff, is_superuser=is_superuser
    )
    if refusals:
        raise InvalidInput("This access change is not allowed.", field_errors=refusals)
    wanted_groups = sorted(group.name for group in groups)
    before = {
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "groups": sorted(user.groups.values_list("name", flat=True)),
    }
    after = {
        "is_active": is_active,
        "is_staff": is_staff,
        "is_superuser": is_superuser,
        "groups": wanted_groups,
    }
    changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if not changes:
        return user
    with transaction.atomic():
        user.is_active, user.is_staff, user.is_superuser = is_active, is_staff, is_superuser
        user.save(update_fields=["is_active", "is_staff", "is_superuser"])
        user.groups.set(Group.objects.filter(name__in=wanted_groups))
        audit_record(actor=actor, action="user.access_changed", target=user, detail=changes)
    return user


def audit_record(
    *, actor: User | None, action: str, target: Any = None, detail: dict[str, Any] | None = None
) -> AuditLogEntry:
    return AuditLogEntry.objects.create(
        actor=actor,
        action=action,
        target_type=type(target).__name__ if target is not None else "",
        target_id=str(getattr(target, "pk", "") or "") if target is not None else "",
        detail=detail or {},
        created_at=clock.now(),
    )


def _require_verifier(reviewer: User) -> None:
    if not is_verifier(user=reviewer):
        raise PermissionDenied("Only verifiers review locations.")


def _verification_files(
    id_document: UploadedFile | None, proof_of_address: UploadedFile | None
) -> tuple[ContentFile[bytes], ContentFile[bytes]]:
    if id_document is None or proof_of_address is None:
        errors = {}
        if id_document is None:
            errors["id_document"] = ["Upload an identity document."]
        if proof_of_address is None:
            errors["proof_of_address"] = ["Upload a proof of address."]
        raise InvalidInput("Both documents are required.", field_errors=errors)
    return (
        checked_document(id_document, field="id_document"),
        checked_document(proof_of_address, field="proof_of_address"),
    )


def location_verification_submit(
    *,
    user: User,
    country: str,
    city: str,
    id_document: UploadedFile | None,
    proof_of_address: UploadedFile | None,
    note: str = "",
    appeal_of: LocationVerification | None = None,
) -> LocationVerification:
    """Ask a verifier to confirm where the user lives. One request is open at a time."""
    errors: dict[str, list[str]] = {}
    country = (country or "").strip().upper()
    if country not in dict(countries):
        errors["country"] = ["Choose a country."]
    if not city.strip() or len(city) > 100:
        errors["city"] = ["Enter your city (at most 100 characters)."]
    if errors:
        raise InvalidInput("The location is incomplete.", field_errors=errors)
    id_file, address_file = _verification_files(id_document, proof_of_address)
    with transaction.atomic():
        if (
            LocationVerification.objects.select_for_update()
            .filter(user=user, status=VerificationStatus.SUBMITTED)
            .exists()
        ):
            raise Conflict("A verification request is already waiting for review.")
        verification = LocationVerification(
            user=user,
            country=country,
            city=city.strip(),
            note=note.strip()[:2000],
            appeal_of=appeal_of,
            submitted_at=clock.now(),
        )
        verification.id_document.save(id_file.name or "id", id_file, save=False)
        verification.proof_of_address.save(address_file.name or "address", address_file, save=False)
        try:
            with transaction.atomic():
                verification.save()
        except IntegrityError:
            # A request (or an appeal of the same rejection) sent at the same moment got in
            # first: the checks above could not see it, the constraints do.
            verification.id_document.delete(save=False)
            verification.proof_of_address.delete(save=False)
            raise Conflict(
                "Another verification request was sent at the same time and is waiting for review."
            ) from None
        event_emit(
            kind="verification.submitted",
            payload={
                "verification_id": verification.pk,
                "user_id": user.pk,
                "appeal": bool(appeal_of),
            },
        )
    return verification


def location_verification_appeal(
    *,
    user: User,
    rejected: LocationVerification,
    id_document: UploadedFile | None,
    proof_of_address: UploadedFile | None,
    note: str,
) -> LocationVerification:
    """A rejected freelancer tries again with new evidence, once per rejection."""
    if rejected.user_id != user.pk:
        raise NotFound("No such verification.")
    if rejected.status != VerificationStatus.REJECTED:
        raise InvalidTransition("Only a rejected verification can be appealed.")
    if LocationVerification.objects.filter(appeal_of=rejected).exists():
        raise Conflict("This rejection has already been appealed.")
    if not note.strip():
        raise InvalidInput(
            "Say what is new in this appeal.", field_errors={"note": ["Explain the new evidence."]}
        )
    return location_verification_submit(
        user=user,
        country=rejected.country.code,
        city=rejected.city,
        id_document=id_document,
        proof_of_address=proof_of_address,
        note=note,
        appeal_of=rejected,
    )


def _review(verification: LocationVerification, reviewer: User) -> LocationVerification:
    _require_verifier(reviewer)
    locked = LocationVerification.objects.select_for_update().get(pk=verification.pk)
    if locked.status != VerificationStatus.SUBMITTED:
        raise InvalidTransition("This request has already been reviewed.")
    if locked.user_id == reviewer.pk:
        raise PermissionDenied("Nobody reviews their own verification.")
    return locked


def location_verification_approve(
    *, verification: LocationVerification, reviewer: User
) -> LocationVerification:
    with transaction.atomic():
        locked = _review(verification, reviewer)
        now = clock.now()
        locked.status = VerificationStatus.APPROVED
        locked.reviewed_at = now
        locked.reviewer = reviewer
        locked.save(update_fields=["status", "reviewed_at", "reviewer"])
        User.objects.filter(pk=locked.user_id).update(
            verified_country=locked.country.code,
            verified_city=locked.city,
            location_verified_at=now,
        )
        audit_record(actor=reviewer, action="verification.approve", target=locked)
        event_emit(
            kind="verification.approved",
            payload={"verification_id": locked.pk, "user_id": locked.user_id},
        )
    return locked


def location_verification_reject(
    *, verification: LocationVerification, reviewer: User, reason: str
) -> LocationVerification:
    if not reason.strip():
        raise InvalidInput(
            "Say why the request is rejected.", field_errors={"reason": ["A reason is required."]}
        )
    with transaction.atomic():
        locked = _review(verification, reviewer)
        locked.status = VerificationStatus.REJECTED
        locked.reason = reason.strip()
        locked.reviewed_at = clock.now()
        locked.reviewer = reviewer
        locked.save(update_fields=["status", "reason", "reviewed_at", "reviewer"])
        audit_record(
            actor=reviewer,
            action="verification.reject",
            target=locked,
            detail={"reason": locked.reason},
        )
        event_emit(
            kind="verification.rejected",
            payload={"verification_id": locked.pk, "user_id": locked.user_id},
        )
    return locked


def sign_in_hint_record(
    *, user: User, ip_address: str | None, country: str, user_agent: str
) -> SignInHint:
    """Remember where a sign-in came from, for verifiers. It never changes a location."""
    try:
        ip = ipaddress.ip_address(ip_address) if ip_address else None
    except ValueError:
        ip = None
    code = country.strip().upper()
    return SignInHint.objects.create(
        user=user,
        ip_address=str(ip) if ip else None,
        country=code if code in dict(countries) else "",
        user_agent=user_agent[:255],
        signed_in_at=clock.now(),
    )
