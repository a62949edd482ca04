from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.db.models import QuerySet

from openlance.accounts.models import LocationVerification, PersonalAccessToken, SignInHint, User
from openlance.core.errors import NotFound


def tokens_of_user(*, user: User) -> QuerySet[PersonalAccessToken]:
    return PersonalAccessToken.objects.filter(user=user).order_by(
        "revoked_at", "-created_at", "-id"
    )


def email_verified(*, user: User) -> bool:
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()


def two_factor_enabled(*, user: User) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def verifications_of_user(*, user: User) -> QuerySet[LocationVerification]:
    return LocationVerification.objects.filter(user=user).order_by("-submitted_at", "-id")


def verification_of_user(*, user: User, verification_id: int) -> LocationVerification:
    verification = verifications_of_user(user=user).filter(pk=verification_id).first()
    if verification is None:
        raise NotFound("No such verification.")
    return verification


VERIFIER_GROUP = "Verifier"
MEDIATOR_GROUP = "Mediator"


def has_staff_role(*, user: User, group: str) -> bool:
    """An active staff member in the staff role `group` (a superuser holds every role)."""
    return (
        user.is_active
        and user.is_staff
        and (user.is_superuser or user.groups.filter(name=group).exists())
    )


def is_verifier(*, user: User) -> bool:
    return has_staff_role(user=user, group=VERIFIER_GROUP)


def is_mediator(*, user: User) -> bool:
    """Mediators judge disputes between clients and freelancers, so they are also the staff
    who judge whether a client's poor feedback is unfounded (reviews' flags)."""
    return has_staff_role(user=user, group=MEDIATOR_GROUP)


def verification_queue(*, reviewer: User, status: str) -> QuerySet[LocationVerification]:
    """The verifier's queue, oldest first. Anyone else sees an empty queue."""
    if not is_verifier(user=reviewer):
        return LocationVerification.objects.none()
    return (
        LocationVerification.objects.filter(status=status)
        .select_related("user", "appeal_of")
        .order_by("submitted_at", "id")
    )


def verification_for_reviewer(*, reviewer: User, verification_id: int) -> LocationVerification:
    verification = (
        verification_queue(reviewer=reviewer, status="submitted").filter(pk=verification_id).first()
    )
    if verification is None:
        raise NotFound("No such verification waiting for review.")
    return verification


def sign_in_hints_of(*, user: User, limit: int = 10) -> list[SignInHint]:
    return list(SignInHint.objects.filter(user=user).order_by("-signed_in_at")[:limit])
