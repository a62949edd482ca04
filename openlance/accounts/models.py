from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django_countries.fields import CountryField


class Role(models.TextChoices):
    FREELANCER = "freelancer", "Freelancer"
    CLIENT = "client", "Client"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)


def public_name_of(first_name: str, last_name: str, user_id: int) -> str:
    """`User.public_name` from the account's columns, for reads that load no model."""
    if first_name and last_name:
        return f"{first_name} {last_name[0]}."
    return first_name or f"Member {user_id}"


def initials_of(first_name: str, last_name: str, email: str) -> str:
    """`User.initials`: what an avatar without a photo shows ("AP"; the email's first letter
    when there is no first name)."""
    return (first_name or email)[:1].upper() + last_name[:1].upper()


class User(AbstractUser):
    """One account may act as freelancer, client or both; `active_role` is the hat it wears
    right now (switched in the header)."""

    username = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)
    is_freelancer = models.BooleanField(default=False)
    is_client = models.BooleanField(default=False)
    active_role = models.CharField(max_length=16, choices=Role.choices, default=Role.FREELANCER)
    # The location shown and filtered on is the verified one (SPEC §2.2); only an approved
    # LocationVerification writes these.
    verified_country = CountryField(blank=True)
    verified_city = models.CharField(max_length=100, blank=True)
    location_verified_at = models.DateTimeField(null=True, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(active_role="freelancer", is_freelancer=True)
                    | models.Q(active_role="client", is_client=True)
                    | models.Q(is_freelancer=False, is_client=False)
                ),
                name="user_active_role_is_held",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def display_name(self) -> str:
        full = self.get_full_name().strip()
        return full or self.email.split("@")[0]

    @property
    def public_name(self) -> str:
        """ "First L." — how a freelancer is shown to the public until hired."""
        return public_name_of(self.first_name, self.last_name, self.pk)

    @property
    def initials(self) -> str:
        return initials_of(self.first_name, self.last_name, self.email)

    @property
    def roles(self) -> list[str]:
        held = []
        if self.is_freelancer:
            held.append(Role.FREELANCER.value)
        if self.is_client:
            held.append(Role.CLIENT.value)
        return held


class PersonalAccessToken(models.Model):
    """A bearer token for scripts. Only its SHA-256 is stored; the secret is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=16, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class AuditLogEntry(models.Model):
    """What a staff member did, to what, and when. Append-only."""

    actor = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit log entries"

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}:{self.target_id}"


class VerificationStatus(models.TextChoices):
    SUBMITTED = "submitted", "Waiting for review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class LocationVerification(models.Model):
    """A request to verify where a freelancer lives: an identity document and a proof of
    address, reviewed by a verifier. An appeal is a new request pointing at the rejected one."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="location_verifications")
    country = CountryField()
    city = models.CharField(max_length=100)
    id_document = models.FileField(upload_to="verification/%Y/%m/")
    proof_of_address = models.FileField(upload_to="verification/%Y/%m/")
    status = models.CharField(
        max_length=16, choices=VerificationStatus.choices, default=VerificationStatus.SUBMITTED
    )
    reason = models.TextField(blank=True)
    appeal_of = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="appeal"
    )
    note = models.TextField(blank=True)
    submitted_at = models.DateTimeField()
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewer = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["submitted_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(status="submitted"),
                name="verification_one_open_per_user",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="rejected") | ~models.Q(reason=""),
                name="verification_rejection_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"Location verification {self.pk} of user {self.user_id}: "
            f"{self.city}, {self.country.name} ({self.get_status_display().lower()})"
        )


class SignInHint(models.Model):
    """Where a sign-in came from. A hint for verifiers only: it never changes a location."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sign_in_hints")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    country = models.CharField(max_length=2, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)
    signed_in_at = models.DateTimeField()

    class Meta:
        ordering = ["-signed_in_at", "-id"]
        indexes = [models.Index(fields=["user", "-signed_in_at"], name="signin_user_recent")]

    def __str__(self) -> str:
        return f"Sign-in of user {self.user_id} from {self.ip_address or 'an unknown address'}"
