"""Connects (SPEC §5): credits spent to send proposals, kept in their own ledger.

Every grant or purchase opens a *lot* that expires on its own date; spending takes from the
lots that expire first. A *move* is one business event (a grant, a spend, a refund, an
expiry) made of *entries*, one per lot it touches. Balances and lot remainders are caches of
the entries that the database keeps non-negative and `connects_check` proves exact.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Plan(models.TextChoices):
    BASIC = "basic", "Basic"
    PLUS = "plus", "Plus"


class LotSource(models.TextChoices):
    WELCOME = "welcome", "Welcome grant"
    RISING_TALENT = "rising_talent", "Rising Talent grant"
    MONTHLY = "monthly", "Monthly plan allotment"
    PURCHASE = "purchase", "Purchase"


class MoveKind(models.TextChoices):
    GRANT = "grant", "Grant"
    PURCHASE = "purchase", "Purchase"
    SPEND = "spend", "Spent"
    REFUND = "refund", "Refund"
    EXPIRY = "expiry", "Expired"


class ConnectsAccount(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="connects_account"
    )
    balance = models.IntegerField(default=0)
    plan = models.CharField(max_length=8, choices=Plan.choices, default=Plan.BASIC)
    # The plan's monthly date: allotments (and Plus charges) fall due then.
    next_grant_at = models.DateTimeField()
    # The day of the month the monthly date falls on when the month has it: a short month
    # moves the date to its last day for that month only (31 Jan → 28 Feb → 31 Mar).
    monthly_day = models.PositiveSmallIntegerField(default=1)
    # Opaque gateway token of the card that pays for Plus; never card data.
    plus_payment_method = models.CharField(max_length=100, blank=True)
    plus_started_at = models.DateTimeField(null=True, blank=True)
    # Set when the freelancer cancels Plus: it stays Plus until the monthly date, which then
    # moves the account to Basic instead of charging.
    plus_cancelled_at = models.DateTimeField(null=True, blank=True)
    # Digest of the key of the request that started the current Plus subscription, so a
    # repeated request is recognised as the same one and never charges twice.
    plus_subscription_key = models.CharField(max_length=64, blank=True)
    # The welcome grant is given once, when the account first belongs to a freelancer.
    welcomed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(balance__gte=0), name="connects_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(plan="basic") | ~models.Q(plus_payment_method=""),
                name="connects_plus_has_payment_method",
            ),
        ]
        indexes = [models.Index(fields=["next_grant_at"], name="connects_grant_due")]

    def __str__(self) -> str:
        return f"Connects of user {self.user_id}: {self.balance}"

    @property
    def plus_renews(self) -> bool:
        return self.plan == Plan.PLUS and self.plus_cancelled_at is None


class ConnectsMove(models.Model):
    account = models.ForeignKey(ConnectsAccount, on_delete=models.PROTECT, related_name="moves")
    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=16, choices=MoveKind.choices)
    units = models.IntegerField()
    description = models.CharField(max_length=255)
    # What the move is about, e.g. "proposal:42" or "charge:ch_…", for links and refunds.
    reference = models.CharField(max_length=100, blank=True)
    refund_of = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="refund"
    )
    balance_after = models.IntegerField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(units=0), name="connects_move_nonzero"),
            models.CheckConstraint(
                condition=(
                    models.Q(kind__in=["grant", "purchase", "refund"], units__gt=0)
                    | models.Q(kind__in=["spend", "expiry"], units__lt=0)
                ),
                name="connects_move_sign_matches_kind",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "-created_at", "-id"], name="connects_history"),
            models.Index(fields=["reference"], name="connects_move_reference"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.units:+d} ({self.key})"


class ConnectsLot(models.Model):
    account = models.ForeignKey(ConnectsAccount, on_delete=models.PROTECT, related_name="lots")
    source = models.CharField(max_length=16, choices=LotSource.choices)
    units = models.PositiveIntegerField()
    remaining = models.IntegerField()
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["expires_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(remaining__gte=0, remaining__lte=models.F("units")),
                name="connects_lot_remaining_within_units",
            ),
            models.CheckConstraint(condition=models.Q(units__gt=0), name="connects_lot_positive"),
        ]
        indexes = [
            models.Index(
                fields=["account", "expires_at", "id"],
                condition=models.Q(remaining__gt=0),
                name="connects_lot_spendable",
            ),
            models.Index(
                fields=["expires_at"],
                condition=models.Q(remaining__gt=0),
                name="connects_lot_expiry_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()}: {self.remaining}/{self.units}"


class ConnectsEntry(models.Model):
    move = models.ForeignKey(ConnectsMove, on_delete=models.PROTECT, related_name="entries")
    lot = models.ForeignKey(ConnectsLot, on_delete=models.PROTECT, related_name="entries")
    units = models.IntegerField()

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "connects entries"
        constraints = [
            models.CheckConstraint(condition=~models.Q(units=0), name="connects_entry_nonzero"),
            models.UniqueConstraint(fields=["move", "lot"], name="connects_entry_one_per_lot"),
        ]

    def __str__(self) -> str:
        return f"lot {self.lot_id} {self.units:+d}"
