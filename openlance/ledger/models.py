"""Double-entry ledger (SPEC §8.1). A balance is the sum of an account's entries; the
`balance_cents` column caches it so the database itself can refuse an overdraft, and
`ledger_check` proves the cache equals the sum."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from openlance.core.money import Money


class AccountKind(models.TextChoices):
    CLIENT_FUNDING = "client_funding", "Client funding"
    CONTRACT_ESCROW = "contract_escrow", "Contract escrow"
    HOURLY_IN_REVIEW = "hourly_in_review", "Hourly in review"
    FREELANCER_PENDING = "freelancer_pending", "Freelancer pending"
    FREELANCER_AVAILABLE = "freelancer_available", "Freelancer available"
    PLATFORM_FEE_REVENUE = "platform_fee_revenue", "Platform fee revenue"
    PLATFORM_CONNECTS_REVENUE = "platform_connects_revenue", "Platform Connects revenue"
    PLATFORM_PROTECTION_LOSSES = "platform_protection_losses", "Platform protection losses"
    GATEWAY_CLEARING = "gateway_clearing", "Gateway clearing"
    PAYOUTS_IN_FLIGHT = "payouts_in_flight", "Payouts in flight"


# Money entering from outside shows as a negative clearing balance, and the platform's
# own loss account pays protected hours out of nothing; every other account holds real
# money and may never dip below zero.
MAY_GO_NEGATIVE = frozenset({AccountKind.GATEWAY_CLEARING, AccountKind.PLATFORM_PROTECTION_LOSSES})
USER_KINDS = frozenset(
    {AccountKind.CLIENT_FUNDING, AccountKind.FREELANCER_PENDING, AccountKind.FREELANCER_AVAILABLE}
)
PLATFORM_KINDS = frozenset(
    {
        AccountKind.PLATFORM_FEE_REVENUE,
        AccountKind.PLATFORM_CONNECTS_REVENUE,
        AccountKind.PLATFORM_PROTECTION_LOSSES,
        AccountKind.GATEWAY_CLEARING,
        AccountKind.PAYOUTS_IN_FLIGHT,
    }
)


# Accounts that every payment of the marketplace credits (or that every deposit and payout
# touches). Each is kept as PLATFORM_SHARDS sub-accounts, chosen by a stable number of the
# business event (its user), so concurrent payments lock different rows instead of all
# queueing behind one; the platform's balance of a kind is the sum of its sub-accounts.
PLATFORM_SHARDS = 16


class LedgerAccount(models.Model):
    code = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=32, choices=AccountKind.choices)
    currency = models.CharField(max_length=3, default="USD")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_accounts",
    )
    reference = models.CharField(max_length=64, blank=True)
    may_go_negative = models.BooleanField(default=False)
    balance_cents = models.BigIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(may_go_negative=True) | models.Q(balance_cents__gte=0),
                name="ledger_account_not_overdrawn",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Transfer(models.Model):
    """One business event's movement of money. Immutable; undone only by a reversal."""

    idempotency_key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=48)
    description = models.CharField(max_length=255)
    currency = models.CharField(max_length=3, default="USD")
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversal"
    )
    # The parties a transfer is about, for the reads that find a user's payments, fundings
    # and escrow: indexed foreign keys, so such a read grows with the user's own history.
    # `metadata` only describes the transfer; no code filters on it.
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # led by the indexes below
    )
    freelancer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # led by the indexes below
    )
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["client", "kind", "created_at"], name="ledger_transfer_client"),
            models.Index(
                fields=["freelancer", "kind", "created_at"], name="ledger_transfer_freelancer"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.idempotency_key}"


class Entry(models.Model):
    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="entries")
    amount_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3, default="USD")
    balance_after_cents = models.BigIntegerField()

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "entries"
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(amount_cents=0), name="ledger_entry_nonzero"
            ),
            models.UniqueConstraint(
                fields=["transfer", "account"], name="ledger_entry_one_leg_per_account"
            ),
        ]
        indexes = [models.Index(fields=["account", "id"], name="ledger_entry_account")]

    def __str__(self) -> str:
        sign = "+" if self.amount_cents >= 0 else ""
        return f"{self.account.code} {sign}{Money(self.amount_cents, self.currency)}"
