from __future__ import annotations

from datetime import datetime

from django.db import models

from openlance.core.money import Money


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
        return (
            f"Sandbox {self.get_kind_display().lower()} {self.reference}: "
            f"{Money(self.amount_cents, self.currency)} ({self.get_status_display().lower()})"
        )


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
        return (
            f"Pending {self.get_kind_display().lower()} of {Money(self.amount_cents)} "
            f"for user {self.freelancer_id}"
        )


def card_expired(moment: datetime, *, exp_month: int, exp_year: int) -> bool:
    """A card is good through the last day of its expiry month."""
    return (moment.year, moment.month) > (exp_year, exp_month)


class SandboxCard(models.Model):
    """A card the built-in sandbox gateway tokenized from one of its test numbers, kept as a
    provider keeps cards: by token, brand, last four digits and expiry."""

    token = models.CharField(max_length=64, unique=True)
    brand = models.CharField(max_length=20)
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField()
    exp_year = models.PositiveSmallIntegerField()
    decline_reason = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"sandbox {self.brand} ending {self.last4}"

    def expired_at(self, moment: datetime) -> bool:
        return card_expired(moment, exp_month=self.exp_month, exp_year=self.exp_year)


class SavedCard(models.Model):
    """A card a client keeps to pay with: the provider's reference to charge it by and what
    they recognise it by. Card numbers never reach the platform. A removed card stays for
    the record and is never offered or charged again."""

    user = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="saved_cards", db_index=False
    )
    payment_method = models.CharField(max_length=120)
    brand = models.CharField(max_length=20)
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField()
    exp_year = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField()
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "removed_at"], name="saved_card_user")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "payment_method"],
                condition=models.Q(removed_at__isnull=True),
                name="saved_card_once_per_user",
            ),
        ]

    def __str__(self) -> str:
        expiry = f"{self.exp_month:02d}/{self.exp_year % 100:02d}"
        return f"{self.brand} ending {self.last4} (expires {expiry})"

    def expired_at(self, moment: datetime) -> bool:
        return card_expired(moment, exp_month=self.exp_month, exp_year=self.exp_year)


class WithdrawalMethodKind(models.TextChoices):
    ACH = "ach", "US bank (ACH)"
    LOCAL_BANK = "local_bank", "Local bank"
    WIRE = "wire", "Wire transfer"
    PAYPAL = "paypal", "PayPal"
    INSTANT = "instant", "Instant (debit card)"


class WithdrawalMethod(models.Model):
    """Where a freelancer's payouts go. Only the provider's opaque destination token and what
    its owner recognises it by (the last four digits, or a masked PayPal address) are kept;
    account numbers go to the provider and are never stored. A removed method stays
    (payouts point at it) but is hidden and never used again."""

    user = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="withdrawal_methods"
    )
    kind = models.CharField(max_length=16, choices=WithdrawalMethodKind.choices)
    destination = models.CharField(max_length=120)
    last4 = models.CharField(max_length=4, blank=True)
    label = models.CharField(max_length=80, blank=True)
    is_default = models.BooleanField(default=False)
    usable_from = models.DateTimeField()
    created_at = models.DateTimeField()
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(is_default=True, removed_at__isnull=True),
                name="withdrawal_method_one_default",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.label or f'••••{self.last4}'}"


class PayoutSchedule(models.TextChoices):
    WEEKLY = "weekly", "Weekly (every Wednesday)"
    TWICE_MONTHLY = "twice_monthly", "Twice a month (1st and 3rd Wednesday)"
    MONTHLY = "monthly", "Monthly (last Wednesday)"
    QUARTERLY = "quarterly", "Quarterly (last Wednesday of Mar, Jun, Sep, Dec)"


PAYOUT_THRESHOLD_MINIMUM_CENTS = 10_000


class PayoutSettings(models.Model):
    user = models.OneToOneField(
        "accounts.User", on_delete=models.CASCADE, related_name="payout_settings"
    )
    schedule = models.CharField(
        max_length=16, choices=PayoutSchedule.choices, default=PayoutSchedule.QUARTERLY
    )
    threshold_cents = models.BigIntegerField(default=PAYOUT_THRESHOLD_MINIMUM_CENTS)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "payout settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(threshold_cents__gte=PAYOUT_THRESHOLD_MINIMUM_CENTS),
                name="payout_threshold_minimum",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"Payout settings of user {self.user_id}: {self.get_schedule_display()}, "
            f"from {Money(self.threshold_cents)}"
        )


class PayoutStatus(models.TextChoices):
    # Booked in the ledger, the gateway has not confirmed it yet (or could not be reached).
    PENDING = "pending", "Processing"
    IN_TRANSIT = "in_transit", "On its way"
    PAID = "paid", "Paid"
    RETURNED = "returned", "Returned"
    FAILED = "failed", "Failed"


PAYOUT_TRANSITIONS: dict[str, frozenset[str]] = {
    PayoutStatus.PENDING: frozenset(
        {PayoutStatus.IN_TRANSIT, PayoutStatus.PAID, PayoutStatus.RETURNED, PayoutStatus.FAILED}
    ),
    PayoutStatus.IN_TRANSIT: frozenset({PayoutStatus.PAID, PayoutStatus.RETURNED}),
    PayoutStatus.PAID: frozenset(),
    PayoutStatus.RETURNED: frozenset(),
    PayoutStatus.FAILED: frozenset(),
}


class PayoutTrigger(models.TextChoices):
    MANUAL = "manual", "Get paid now"
    SCHEDULED = "scheduled", "Scheduled"


class Payout(models.Model):
    """One withdrawal: `amount_cents` left the available balance, `fee_cents` of it is the
    method's fee and the rest was sent through the gateway."""

    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="payouts")
    method = models.ForeignKey(WithdrawalMethod, on_delete=models.PROTECT, related_name="payouts")
    key = models.CharField(max_length=200, unique=True)
    trigger = models.CharField(max_length=16, choices=PayoutTrigger.choices)
    amount_cents = models.BigIntegerField()
    fee_cents = models.BigIntegerField()
    status = models.CharField(
        max_length=16, choices=PayoutStatus.choices, default=PayoutStatus.PENDING
    )
    gateway_reference = models.CharField(max_length=64, blank=True)
    failure_reason = models.CharField(max_length=120, blank=True)
    withdrawal_transfer = models.OneToOneField(
        "ledger.Transfer", on_delete=models.PROTECT, related_name="payout"
    )
    closing_transfer = models.OneToOneField(
        "ledger.Transfer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="closed_payout",
    )
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(fee_cents__gte=0)
                & models.Q(amount_cents__gt=models.F("fee_cents")),
                name="payout_fee_below_amount",
            ),
        ]
        indexes = [
            models.Index(
                fields=["status"],
                condition=models.Q(status__in=["pending", "in_transit"]),
                name="payout_open",
            ),
        ]

    def __str__(self) -> str:
        return f"Payout {self.pk}: {Money(self.amount_cents)} ({self.get_status_display().lower()})"

    @property
    def net_cents(self) -> int:
        return self.amount_cents - self.fee_cents

    @property
    def failure_text(self) -> str:
        return self.failure_reason.replace("_", " ")


class ChargeClaim(models.Model):
    """The one request that may charge a card for a business event right now (subscribing
    to Plus, funding a milestone). Claiming is a row insert under a unique subject, so two
    requests with different idempotency keys (two tabs) can never both hold it; a claim
    older than its timeout belongs to a process that died and may be taken over."""

    subject = models.CharField(max_length=120, unique=True)
    holder = models.CharField(max_length=64)
    claimed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.subject} held by {self.holder}"


class CardChargePurpose(models.TextChoices):
    """What a card charge pays for, which says how its money is booked once it succeeds."""

    # Into the client's funding balance (`services.card_deposit_book`).
    DEPOSIT = "deposit", "Added funds"
    MILESTONE = "milestone", "Milestone funding"
    # Platform Connects revenue, and the Connects or the plan it buys (`billing.connects`).
    CONNECTS_BUNDLE = "connects_bundle", "Connects bundle"
    PLUS_START = "plus_start", "Plus, first month"
    PLUS_RENEWAL = "plus_renewal", "Plus, monthly renewal"


class CardChargeState(models.TextChoices):
    # Recorded, and the gateway asked (or about to be): the outcome is not booked yet.
    SENT = "sent", "Sent to the gateway"
    BOOKED = "booked", "Charged and booked"
    DECLINED = "declined", "Declined (nothing charged)"


CARD_CHARGE_TRANSITIONS: dict[str, frozenset[str]] = {
    CardChargeState.SENT: frozenset({CardChargeState.BOOKED, CardChargeState.DECLINED}),
    CardChargeState.BOOKED: frozenset(),
    CardChargeState.DECLINED: frozenset(),
}


class CardCharge(models.Model):
    """One card charge the platform asked the gateway for, recorded and committed before the
    gateway is called, so a charge whose process died before its booking is still known:
    `services.card_charges_settle` and the reconcile rule replay it with its own key (the
    gateway answers with the first result) and book it once. `key` is the gateway's
    idempotency key; the other fields are what that key was used for, so a replay sends
    exactly the same call. Rows only move through `services` (sent → booked | declined)."""

    key = models.CharField(max_length=200)
    user = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        related_name="card_charges",
        db_index=False,  # led by card_charge_user
    )
    purpose = models.CharField(max_length=16, choices=CardChargePurpose.choices)
    # The business event it pays for, e.g. "milestone:42:fund", "connects-plus:7": what a
    # later payment for the same thing settles first.
    subject = models.CharField(max_length=120)
    amount_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3, default="USD")
    payment_method = models.CharField(max_length=120)
    # What the gateway was told (sent again verbatim on a replay) and what the ledger says:
    # the booking's description and the metadata describing it (never read back).
    description = models.CharField(max_length=255)
    ledger_description = models.CharField(max_length=255)
    ledger_metadata = models.JSONField(default=dict, blank=True)
    # A Plus start's only: the digest of the subscribing request's idempotency key, which
    # the subscription starts under; empty for every other purpose.
    request_key = models.CharField(max_length=64, blank=True)
    # A Connects bundle's size; the monthly date a Plus renewal pays the month from.
    connects_units = models.PositiveIntegerField(null=True, blank=True)
    period_start = models.DateTimeField(null=True, blank=True)
    state = models.CharField(
        max_length=16, choices=CardChargeState.choices, default=CardChargeState.SENT
    )
    gateway_reference = models.CharField(max_length=64, blank=True)
    decline_reason = models.CharField(max_length=120, blank=True)
    transfer = models.OneToOneField(
        "ledger.Transfer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="card_charge",
    )
    created_at = models.DateTimeField()
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["key"], name="card_charge_once_per_key"),
            models.CheckConstraint(
                condition=models.Q(amount_cents__gt=0), name="card_charge_amount_positive"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(state="sent", settled_at__isnull=True, transfer__isnull=True)
                    | models.Q(state="booked", settled_at__isnull=False, transfer__isnull=False)
                    & ~models.Q(gateway_reference="")
                    | models.Q(state="declined", settled_at__isnull=False, transfer__isnull=True)
                ),
                name="card_charge_state_matches_booking",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(purpose="connects_bundle", connects_units__gt=0)
                    | (~models.Q(purpose="connects_bundle") & models.Q(connects_units__isnull=True))
                ),
                name="card_charge_units_only_for_bundles",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(purpose="plus_renewal", period_start__isnull=False)
                    | (~models.Q(purpose="plus_renewal") & models.Q(period_start__isnull=True))
                ),
                name="card_charge_period_only_for_renewals",
            ),
            models.CheckConstraint(
                condition=~models.Q(purpose="plus_start") | ~models.Q(request_key=""),
                name="card_charge_plus_start_has_request_key",
            ),
        ]
        indexes = [
            models.Index(fields=["subject", "state"], name="card_charge_subject"),
            models.Index(
                fields=["created_at"],
                condition=models.Q(state="sent"),
                name="card_charge_sent",
            ),
            models.Index(fields=["user", "-created_at"], name="card_charge_user"),
        ]

    def __str__(self) -> str:
        return (
            f"Card charge {self.key}: {Money(self.amount_cents, self.currency)} "
            f"({self.get_state_display().lower()})"
        )


class PaymentKind(models.TextChoices):
    """The payments to a freelancer for work (SPEC §8.2: "each payment to a freelancer"),
    which count towards the relationship's lifetime billings. Expenses carry no fee and are
    deliberately not payments."""

    MILESTONE_RELEASE = "milestone_release", "Milestone payment"
    HOURLY_INVOICE = "hourly_invoice", "Hourly invoice"
    BONUS = "bonus", "Bonus"


class Relationship(models.Model):
    """A freelancer and a client who have done paid work together: what the freelancer has
    billed the client in all, the base of the sliding service fee (SPEC §8.2), and the
    figures profiles show. One row per pair, changed only by `billing.payments` in the
    transaction of each payment, under this row's lock: the one place that serializes fee
    pricing for the pair, so two payments never price from the same base. `ledger_check`
    proves the totals equal the ledger's payments."""

    freelancer = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="relationships_as_freelancer"
    )
    client = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="relationships_as_client"
    )
    gross_cents = models.BigIntegerField(default=0)
    fee_cents = models.BigIntegerField(default=0)
    net_cents = models.BigIntegerField(default=0)
    payments = models.PositiveIntegerField(default=0)
    first_paid_at = models.DateTimeField(null=True, blank=True)
    last_paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["freelancer", "client"], name="relationship_one_per_pair"
            ),
            models.CheckConstraint(
                condition=models.Q(gross_cents=models.F("fee_cents") + models.F("net_cents")),
                name="relationship_gross_is_fee_plus_net",
            ),
            models.CheckConstraint(
                condition=models.Q(gross_cents__gte=0, fee_cents__gte=0, net_cents__gte=0),
                name="relationship_totals_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["client"], name="relationship_client")]

    def __str__(self) -> str:
        return f"freelancer {self.freelancer_id} / client {self.client_id}"


class Payment(models.Model):
    """One payment to a freelancer for work, as `billing.payments.payment_for_work` priced
    and booked it: the gross, the service fee on the relationship's billings before it (with
    its breakdown by tier), the net, and what has been refunded of it since."""

    transfer = models.OneToOneField(
        "ledger.Transfer", on_delete=models.PROTECT, related_name="payment"
    )
    relationship = models.ForeignKey(
        Relationship, on_delete=models.PROTECT, related_name="payment_records"
    )
    kind = models.CharField(max_length=20, choices=PaymentKind.choices)
    gross_cents = models.BigIntegerField()
    fee_cents = models.BigIntegerField()
    net_cents = models.BigIntegerField()
    billed_before_cents = models.BigIntegerField()
    # How the fee was priced, tier by tier: shown beside the payment, never summed.
    tiers = models.JSONField(default=list, blank=True)
    refunded_cents = models.BigIntegerField(default=0)
    refunded_fee_cents = models.BigIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(gross_cents=models.F("fee_cents") + models.F("net_cents")),
                name="payment_gross_is_fee_plus_net",
            ),
            models.CheckConstraint(
                condition=models.Q(gross_cents__gt=0, fee_cents__gte=0, net_cents__gte=0),
                name="payment_amounts_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    refunded_cents__gte=0,
                    refunded_cents__lte=models.F("gross_cents"),
                    refunded_fee_cents__gte=0,
                    refunded_fee_cents__lte=models.F("fee_cents"),
                ),
                name="payment_refunds_within_payment",
            ),
        ]

    def __str__(self) -> str:
        gross = Money(self.gross_cents)
        return f"{self.get_kind_display()} of {gross} (transfer {self.transfer_id})"
