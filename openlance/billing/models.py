from __future__ import annotations

from django.db import models


class SandboxOperation(models.Model):
    """What the built-in sandbox gateway has done, so a retried call with the same
    idempotency key gets the same answer from any process, as a real provider would."""

    class Kind(models.TextChoices):
        CHARGE = "charge", "Charge"
        PAYOUT = "payout", "Payout"

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", "Succeeded"
        DECLINED = "declined", "Declined"
        IN_TRANSIT = "in_transit", "In transit"
        PAID = "paid", "Paid"
        RETURNED = "returned", "Returned"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    idempotency_key = models.CharField(max_length=200)
    reference = models.CharField(max_length=64, unique=True)
    amount_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3, default="USD")
    instrument = models.CharField(max_length=120)
    status = models.CharField(max_length=16, choices=Status.choices)
    reason = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "idempotency_key"], name="sandbox_once_per_key"
            ),
            models.CheckConstraint(
                condition=models.Q(amount_cents__gt=0), name="sandbox_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference} {self.status}"


class EarningKind(models.TextChoices):
    MILESTONE = "milestone", "Milestone payment"
    BONUS = "bonus", "Bonus"
    EXPENSE = "expense", "Expense"
    HOURLY = "hourly", "Hourly invoice"


class PendingEarning(models.Model):
    """A payment sitting in the freelancer's pending balance until its security period ends
    (SPEC §8.5). `transfer` put it there; `release_transfer` moved it to available."""

    freelancer = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="pending_earnings"
    )
    kind = models.CharField(max_length=16, choices=EarningKind.choices)
    amount_cents = models.BigIntegerField()
    transfer = models.OneToOneField(
        "ledger.Transfer", on_delete=models.PROTECT, related_name="pending_earning"
    )
    available_at = models.DateTimeField()
    release_transfer = models.OneToOneField(
        "ledger.Transfer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="released_earning",
    )
    released_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["available_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_cents__gt=0), name="pending_earning_positive"
            ),
        ]
        indexes = [
            models.Index(
                fields=["available_at"],
                condition=models.Q(released_at__isnull=True),
                name="pending_earning_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_cents} for user {self.freelancer_id}"
