from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction

from openlance.accounts.auth import TOKEN_PREFIX, token_digest
from openlance.accounts.models import AuditLogEntry, PersonalAccessToken, Role, User
from openlance.core import clock
from openlance.core.errors import InvalidInput, NotFound

MAX_ACTIVE_TOKENS = 20


def user_set_roles(*, user: User, freelancer: bool, client: bool) -> User:
    if not (freelancer or client):
        raise InvalidInput(
            "Choose at least one role.",
            field_errors={"roles": ["Pick freelancer, client or both."]},
        )
    user.is_freelancer = freelancer
    user.is_client = client
    if user.active_role == Role.FREELANCER and not freelancer:
        user.active_role = Role.CLIENT
    elif user.active_role == Role.CLIENT and not client:
        user.active_role = Role.FREELANCER
    user.save(update_fields=["is_freelancer", "is_client", "active_role"])
    return user


def user_switch_role(*, user: User, role: str) -> User:
    """Wear the other hat. Switching to a role one does not hold yet takes it up."""
    try:
        wanted = Role(role)
    except ValueError:
        raise InvalidInput(
            f"{role!r} is not a role.", field_errors={"role": ["Use freelancer or client."]}
        ) from None
    if wanted == Role.FREELANCER:
        user.is_freelancer = True
    else:
        user.is_client = True
    user.active_role = wanted
    user.save(update_fields=["is_freelancer", "is_client", "active_role"])
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
