"""Offers and contracts (SPEC §6 offers, §7.1 fixed price and milestones, §7.2 hourly time
and invoices).

Offers live here rather than with proposals because accepting one starts a contract, and
contracts sit a layer above proposals. An offer's terms are copied onto the contract when it
is accepted, so a contract never changes when someone edits an old offer. Money never sits
in these rows: escrow is the contract's ledger account (`contract_escrow`, reference
`contract:<id>`); the cents columns here record what the ledger did, for display and rules.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.db import models

from openlance.core.models import Policy
from openlance.jobs.models import JobPost
from openlance.proposals.models import Proposal

MINIMUM_FIXED_CENTS = 500
MAXIMUM_MILESTONE_CENTS = 100_000_000
MINIMUM_HOURLY_CENTS = 300
MAXIMUM_HOURLY_CENTS = 100_000
MAX_WEEKLY_HOURS = 168
MAX_MILESTONES = 20
MAX_CRITERIA = 10
MAX_CRITERION = 300


def tidy_criteria(texts: Sequence[str]) -> list[str]:
    """Acceptance criteria as stored: whitespace collapsed, blank ones dropped."""
    cleaned = [" ".join(text.split()) for text in texts]
    return [text for text in cleaned if text]


def criteria_error(criteria: Sequence[str]) -> str | None:
    """What is wrong with tidied acceptance criteria, if anything (offers and amendments
    share the rule)."""
    if len(criteria) > MAX_CRITERIA:
        return f"At most {MAX_CRITERIA} acceptance criteria."
    if any(len(text) > MAX_CRITERION for text in criteria):
        return f"Each criterion is at most {MAX_CRITERION} characters."
    return None


def hourly_terms_errors(
    hourly_rate_cents: int | None, weekly_limit_hours: int | None
) -> dict[str, list[str]]:
    """What is wrong with an hourly rate and weekly limit, by field (offers and amendments
    share the rule)."""
    errors: dict[str, list[str]] = {}
    if hourly_rate_cents is None or not (
        MINIMUM_HOURLY_CENTS <= hourly_rate_cents <= MAXIMUM_HOURLY_CENTS
    ):
        errors["hourly_rate"] = ["The rate is at least $3.00 and at most $1,000.00 an hour."]
    if weekly_limit_hours is None or not 1 <= weekly_limit_hours <= MAX_WEEKLY_HOURS:
        errors["weekly_limit_hours"] = [f"A weekly limit from 1 to {MAX_WEEKLY_HOURS} hours."]
    return errors


class ContractKind(models.TextChoices):
    FIXED = "fixed", "Fixed price"
    HOURLY = "hourly", "Hourly"


class OfferState(models.TextChoices):
    PENDING = "pending", "Waiting for the freelancer"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"
    EXPIRED = "expired", "Expired"


OFFER_TRANSITIONS: dict[str, set[str]] = {
    OfferState.PENDING: {
        OfferState.ACCEPTED,
        OfferState.DECLINED,
        OfferState.WITHDRAWN,
        OfferState.EXPIRED,
    },
    OfferState.ACCEPTED: set(),
    OfferState.DECLINED: set(),
    OfferState.WITHDRAWN: set(),
    OfferState.EXPIRED: set(),
}


class Offer(models.Model):
    job = models.ForeignKey(JobPost, on_delete=models.PROTECT, related_name="offers")
    proposal = models.ForeignKey(
        Proposal, null=True, blank=True, on_delete=models.PROTECT, related_name="offers"
    )
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="offers_sent"
    )
    freelancer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="offers_received"
    )
    kind = models.CharField(max_length=8, choices=ContractKind.choices)
    title = models.CharField(max_length=120)
    description = models.TextField(max_length=5000, blank=True)
    hourly_rate_cents = models.BigIntegerField(null=True, blank=True)
    weekly_limit_hours = models.PositiveSmallIntegerField(null=True, blank=True)
    manual_time_allowed = models.BooleanField(default=False)
    start_date = models.DateField()
    # The client hires more than one freelancer from the post: accepting leaves it open.
    keep_post_open = models.BooleanField(default=False)
    message = models.TextField(max_length=5000, blank=True)
    state = models.CharField(max_length=12, choices=OfferState.choices, default=OfferState.PENDING)
    # Raised on every change before acceptance; the freelancer accepts a given revision.
    revision = models.PositiveIntegerField(default=1)
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(max_length=1000, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(
                        kind="fixed",
                        hourly_rate_cents__isnull=True,
                        weekly_limit_hours__isnull=True,
                    )
                    | models.Q(
                        kind="hourly",
                        hourly_rate_cents__gte=MINIMUM_HOURLY_CENTS,
                        weekly_limit_hours__gte=1,
                        weekly_limit_hours__lte=168,
                    )
                ),
                name="offer_terms_match_kind",
            ),
            models.UniqueConstraint(
                fields=["job", "freelancer"],
                condition=models.Q(state="pending"),
                name="offer_one_pending_per_job_and_freelancer",
            ),
        ]
        indexes = [models.Index(fields=["state", "expires_at"], name="offer_expiry_due")]

    def __str__(self) -> str:
        return f"Offer {self.pk}: {self.title}"


class OfferMilestone(models.Model):
    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="milestones")
    position = models.PositiveSmallIntegerField()
    description = models.CharField(max_length=500)
    amount_cents = models.BigIntegerField()
    due_date = models.DateField(null=True, blank=True)
    criteria = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["offer", "position"], name="offer_milestone_position_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(amount_cents__gte=MINIMUM_FIXED_CENTS),
                name="offer_milestone_minimum",
            ),
        ]

    def __str__(self) -> str:
        return self.description


class ContractState(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    ENDED = "ended", "Ended"


# Where a contract's state may go (house rule: states move only along a table). Only hourly
# contracts pause; a paused one resumes or ends.
CONTRACT_TRANSITIONS: dict[str, set[str]] = {
    ContractState.ACTIVE: {ContractState.PAUSED, ContractState.ENDED},
    ContractState.PAUSED: {ContractState.ACTIVE, ContractState.ENDED},
    ContractState.ENDED: set(),
}


class DisputeDecision(models.TextChoices):
    """How a dispute on the contract was decided (SPEC §9: "outcomes are recorded and feed the
    Job Success Score"). Set by the disputes feature when a mediator or arbitration decides;
    `none` while no dispute was decided. Only `against_freelancer` makes the contract's
    outcome negative in the score (SPEC §11); a split is not a decision against either side."""

    NONE = "none", "No dispute decided"
    FOR_FREELANCER = "for_freelancer", "Decided for the freelancer"
    AGAINST_FREELANCER = "against_freelancer", "Decided against the freelancer"
    SPLIT = "split", "Split between the two sides"


class Contract(models.Model):
    offer = models.OneToOneField(Offer, on_delete=models.PROTECT, related_name="contract")
    job = models.ForeignKey(JobPost, on_delete=models.PROTECT, related_name="contracts")
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="client_contracts"
    )
    freelancer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="freelancer_contracts"
    )
    kind = models.CharField(max_length=8, choices=ContractKind.choices)
    title = models.CharField(max_length=120)
    description = models.TextField(max_length=5000, blank=True)
    hourly_rate_cents = models.BigIntegerField(null=True, blank=True)
    weekly_limit_hours = models.PositiveSmallIntegerField(null=True, blank=True)
    manual_time_allowed = models.BooleanField(default=False)
    start_date = models.DateField()
    state = models.CharField(
        max_length=8, choices=ContractState.choices, default=ContractState.ACTIVE
    )
    # SPEC §8.2: the fee schedule in force when the contract started prices all its payments.
    fee_policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    # The card (the gateway's token) the client's hourly invoices on this contract are
    # charged to when their balance does not cover one; blank: the balance only.
    hourly_card = models.CharField(max_length=100, blank=True)
    # The contract's first funding, and the initiation fee (SPEC §8.3) it carried: the fee
    # goes back, from the revenue account that funding paid it into, if the contract ends
    # with nothing released.
    first_funding = models.OneToOneField(
        "ledger.Transfer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    initiation_fee_cents = models.BigIntegerField(default=0)
    # The outcome of a dispute on the contract, once decided (`DisputeDecision`); read by the
    # Job Success Score. Written only by the disputes feature's services.
    dispute_decision = models.CharField(
        max_length=20, choices=DisputeDecision.choices, default=DisputeDecision.NONE
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(dispute_decision__in=DisputeDecision.values),
                name="contract_dispute_decision_known",
            ),
        ]
        indexes = [
            models.Index(fields=["client", "state"], name="contract_client_state"),
            models.Index(fields=["freelancer", "state"], name="contract_freelancer_state"),
        ]

    def __str__(self) -> str:
        return f"Contract {self.pk}: {self.title}"

    @property
    def escrow_reference(self) -> str:
        return f"contract:{self.pk}"


class MilestoneState(models.TextChoices):
    NOT_FUNDED = "not_funded", "Not funded"
    FUNDED = "funded", "Funded"
    SUBMITTED = "submitted", "Submitted for review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved and paid"
    CANCELLED = "cancelled", "Cancelled"
    # A dispute froze its escrow (SPEC §9): nothing moves it but the dispute's outcome.
    DISPUTED = "disputed", "In dispute"


MILESTONE_TRANSITIONS: dict[str, set[str]] = {
    # Work may be submitted on an unfunded milestone; the freelancer is warned first. One
    # holding escrow carried from another may be disputed by the client.
    MilestoneState.NOT_FUNDED: {
        MilestoneState.FUNDED,
        MilestoneState.SUBMITTED,
        MilestoneState.CANCELLED,
        MilestoneState.DISPUTED,
    },
    MilestoneState.FUNDED: {
        MilestoneState.SUBMITTED,
        MilestoneState.CANCELLED,
        MilestoneState.DISPUTED,
    },
    MilestoneState.SUBMITTED: {
        MilestoneState.APPROVED,
        MilestoneState.CHANGES_REQUESTED,
        MilestoneState.FUNDED,
        MilestoneState.DISPUTED,
    },
    MilestoneState.CHANGES_REQUESTED: {
        MilestoneState.SUBMITTED,
        MilestoneState.CANCELLED,
        MilestoneState.DISPUTED,
    },
    # Settled by the dispute: paid (in part or in full) or refunded in full.
    MilestoneState.DISPUTED: {MilestoneState.APPROVED, MilestoneState.CANCELLED},
    MilestoneState.APPROVED: set(),
    MilestoneState.CANCELLED: set(),
}


class Milestone(models.Model):
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="milestones")
    position = models.PositiveSmallIntegerField()
    description = models.CharField(max_length=500)
    amount_cents = models.BigIntegerField()
    due_date = models.DateField(null=True, blank=True)
    # What the milestone was when a dispute froze it (its disputes feature needs nothing else).
    state_before_dispute = models.CharField(max_length=20, blank=True)
    state = models.CharField(
        max_length=20, choices=MilestoneState.choices, default=MilestoneState.NOT_FUNDED
    )
    funded_cents = models.BigIntegerField(default=0)
    released_cents = models.BigIntegerField(default=0)
    refunded_cents = models.BigIntegerField(default=0)
    funded_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # SPEC §17: 14 days after each submission the client's silence approves it.
    auto_approve_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    # The client's "auto-approval in 2 days" notice went out for the current submission.
    auto_approve_warned_at = models.DateTimeField(null=True, blank=True)
    # A partial release may keep its remainder in escrow for the next milestone: the money
    # stays in the contract's escrow account and moves from this row's funded_cents to the
    # next one's; these record how much moved, for display.
    carried_in_cents = models.BigIntegerField(default=0)
    carried_out_cents = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["contract", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "position"], name="milestone_position_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(amount_cents__gte=MINIMUM_FIXED_CENTS),
                name="milestone_minimum",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    funded_cents__gte=0,
                    released_cents__gte=0,
                    refunded_cents__gte=0,
                    released_cents__lte=models.F("funded_cents") - models.F("refunded_cents"),
                ),
                name="milestone_paid_out_within_funded",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "auto_approve_at"], name="milestone_auto_approve_due")
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def in_escrow_cents(self) -> int:
        return self.funded_cents - self.released_cents - self.refunded_cents


class AcceptanceCriterion(models.Model):
    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="criteria")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=300)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["milestone", "position"], name="criterion_position_unique"
            )
        ]

    def __str__(self) -> str:
        return self.text


class Submission(models.Model):
    milestone = models.ForeignKey(Milestone, on_delete=models.PROTECT, related_name="submissions")
    message = models.TextField(max_length=5000)
    # Ids of the acceptance criteria the freelancer ticked as met.
    criteria_met = models.JSONField(default=list, blank=True)
    was_funded = models.BooleanField()
    created_at = models.DateTimeField()
    # The client's answer: a request for changes carries its message.
    changes_requested_at = models.DateTimeField(null=True, blank=True)
    changes_message = models.TextField(max_length=5000, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Submission {self.pk} on milestone {self.milestone_id}"


class SubmissionFile(models.Model):
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to="submissions/%Y/%m/")
    name = models.CharField(max_length=200)
    size_bytes = models.PositiveIntegerField()
    content_type = models.CharField(max_length=100)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class AmendmentState(models.TextChoices):
    PENDING = "pending", "Waiting for the other side"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"


class AmendmentKind(models.TextChoices):
    MILESTONE = "milestone", "New milestone"
    MILESTONE_CHANGE = "milestone_change", "Changed amount or due date"
    HOURLY_TERMS = "hourly_terms", "New rate and weekly limit"


class Amendment(models.Model):
    """A change to a running contract proposed by one side; it takes effect when the other
    accepts. On a fixed-price contract it adds a milestone; on an hourly one it sets a new
    rate and weekly limit, which bill from `effective_week` (the Monday after acceptance) on:
    the week being worked keeps the terms it started with."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="amendments")
    kind = models.CharField(
        max_length=20, choices=AmendmentKind.choices, default=AmendmentKind.MILESTONE
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(max_length=500)
    amount_cents = models.BigIntegerField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    criteria = models.JSONField(default=list, blank=True)
    hourly_rate_cents = models.BigIntegerField(null=True, blank=True)
    weekly_limit_hours = models.PositiveSmallIntegerField(null=True, blank=True)
    effective_week = models.DateField(null=True, blank=True)
    note = models.TextField(max_length=2000, blank=True)
    state = models.CharField(
        max_length=10, choices=AmendmentState.choices, default=AmendmentState.PENDING
    )
    created_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    milestone = models.OneToOneField(
        Milestone, null=True, blank=True, on_delete=models.PROTECT, related_name="amendment"
    )
    # A change to a milestone of the contract: its new amount (while not funded) and due date.
    changes_milestone = models.ForeignKey(
        Milestone, null=True, blank=True, on_delete=models.PROTECT, related_name="changes"
    )
    # The milestone's amount and due date the change was proposed against: accepted after
    # another change moved them, it would quietly undo that one, so it is refused instead.
    base_amount_cents = models.BigIntegerField(null=True, blank=True)
    base_due_date = models.DateField(null=True, blank=True)
    # The chat message it was proposed from ("propose as amendment"), when it was.
    source_message = models.ForeignKey(
        "messaging.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(
                        kind="milestone_change",
                        changes_milestone__isnull=False,
                        amount_cents__gte=MINIMUM_FIXED_CENTS,
                        hourly_rate_cents__isnull=True,
                        weekly_limit_hours__isnull=True,
                        effective_week__isnull=True,
                    )
                    | models.Q(
                        kind="milestone",
                        amount_cents__gte=MINIMUM_FIXED_CENTS,
                        hourly_rate_cents__isnull=True,
                        weekly_limit_hours__isnull=True,
                        effective_week__isnull=True,
                    )
                    | models.Q(
                        kind="hourly_terms",
                        changes_milestone__isnull=True,
                        amount_cents__isnull=True,
                        hourly_rate_cents__gte=MINIMUM_HOURLY_CENTS,
                        weekly_limit_hours__gte=1,
                        weekly_limit_hours__lte=MAX_WEEKLY_HOURS,
                    )
                ),
                name="amendment_terms_match_kind",
            ),
        ]
        indexes = [
            models.Index(
                fields=["contract", "effective_week"],
                condition=models.Q(kind="hourly_terms", state="accepted"),
                name="amendment_terms_in_force",
            )
        ]

    def __str__(self) -> str:
        return f"Amendment {self.pk}: {self.description}"


class MilestoneRelease(models.Model):
    """One payment out of a milestone's escrow: the milestone it paid and billing's record
    of the payment (gross, fee by tier, net)."""

    milestone = models.ForeignKey(
        Milestone, on_delete=models.PROTECT, related_name="milestone_releases"
    )
    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="milestone_releases"
    )
    payment = models.OneToOneField(
        "billing.Payment", on_delete=models.PROTECT, related_name="milestone_release"
    )
    automatic = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Release of milestone {self.milestone_id} (payment {self.payment_id})"


# --- hourly (SPEC §7.2) ----------------------------------------------------------------


class TimeEntrySource(models.TextChoices):
    """Tracked time comes through the API from a time-tracking client and is covered by
    hourly protection; manual time is typed in, only where the contract allows it."""

    TRACKED = "tracked", "Tracked"
    MANUAL = "manual", "Manual"


class TimeEntry(models.Model):
    """One interval worked on an hourly contract, in UTC, inside one billing week (Monday
    00:00 to Sunday 23:59:59). `key` is the tracker's idempotency key for the upload: a
    retried upload finds the entry it made instead of doubling the time."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="time_entries")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    memo = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=8, choices=TimeEntrySource.choices)
    key = models.CharField(max_length=200, blank=True)
    # The week's invoice, once issued: the entry is billed and can no longer change.
    invoice = models.ForeignKey(
        "HourlyInvoice", null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_at__gt=models.F("started_at")),
                name="time_entry_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(source__in=TimeEntrySource.values),
                name="time_entry_source_known",
            ),
            models.UniqueConstraint(
                fields=["contract", "key"],
                condition=~models.Q(key=""),
                name="time_entry_key_once",
            ),
        ]
        indexes = [models.Index(fields=["contract", "started_at"], name="time_entry_week")]

    def __str__(self) -> str:
        return f"Time entry {self.pk} on contract {self.contract_id}"

    @property
    def seconds(self) -> int:
        return int((self.ended_at - self.started_at).total_seconds())


class InvoiceState(models.TextChoices):
    """An hourly invoice is charged when issued (Monday 12:00 UTC) and then in review until
    Friday 23:59 UTC, when the money is paid to the freelancer. A charge that fails leaves it
    unpaid, and every later run tries again. An unpaid invoice whose review is over is
    protected when it can be (SPEC §7.2: the platform pays the protected hours and the
    client owes them) and paid once the client's charge goes through. The client may dispute
    it until its review ends: then nothing is paid, charged or protected until the dispute is
    decided (SPEC §9). The decision bills some hours: a charged invoice pays them and refunds
    the rest; an uncharged one is billed for them alone and owed like any other. One that
    bills none is refunded."""

    UNPAID = "unpaid", "Payment failed"
    IN_REVIEW = "in_review", "In review"
    DISPUTED = "disputed", "Disputed"
    PROTECTED = "protected", "Paid by hourly protection"
    PAID = "paid", "Paid"
    REFUNDED = "refunded", "Not billed after a dispute"


# Where each invoice state may go (house rule: states move only along a table). A protected
# invoice the client pays goes through review to paid in the same transaction; a disputed
# one waits for the disputes work, whose decision sends it on.
INVOICE_TRANSITIONS: dict[str, set[str]] = {
    InvoiceState.UNPAID: {InvoiceState.IN_REVIEW, InvoiceState.DISPUTED, InvoiceState.PROTECTED},
    InvoiceState.IN_REVIEW: {InvoiceState.PAID, InvoiceState.DISPUTED},
    InvoiceState.PROTECTED: {InvoiceState.IN_REVIEW},
    InvoiceState.DISPUTED: {InvoiceState.PAID, InvoiceState.UNPAID, InvoiceState.REFUNDED},
    InvoiceState.PAID: set(),
    InvoiceState.REFUNDED: set(),
}
# Invoices the client has not paid yet: each invoice run charges them again.
OWED_STATES = (InvoiceState.UNPAID, InvoiceState.PROTECTED)
# Invoices whose hours the freelancer was paid for (by the client, or by hourly protection).
PAID_STATES = (InvoiceState.PAID, InvoiceState.PROTECTED)


class HourlyInvoice(models.Model):
    """The bill for one contract-week: min(hours, weekly limit) x rate, with the client's
    marketplace fee (and the initiation fee on the contract's first payment) on top. The
    rate and limit are copied as they stood for the week. `charge` moved the client's money
    into the contract's hourly-in-review account; `payment` paid it on to the freelancer."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="invoices")
    week_start = models.DateField()
    seconds_logged = models.PositiveIntegerField()
    seconds_billed = models.PositiveIntegerField()
    hourly_rate_cents = models.BigIntegerField()
    weekly_limit_hours = models.PositiveSmallIntegerField()
    amount_cents = models.BigIntegerField()
    marketplace_fee_cents = models.BigIntegerField()
    initiation_fee_cents = models.BigIntegerField(default=0)
    state = models.CharField(max_length=10, choices=InvoiceState.choices)
    charge = models.OneToOneField(
        "ledger.Transfer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payment = models.OneToOneField(
        "billing.Payment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hourly_invoice",
    )
    # Hourly protection: what the platform paid the freelancer (from its protection-losses
    # account) for the protected hours while the client's charge had failed.
    protected_cents = models.BigIntegerField(default=0)
    protection_payment = models.OneToOneField(
        "billing.Payment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="protected_invoice",
    )
    issued_at = models.DateTimeField()
    charged_at = models.DateTimeField(null=True, blank=True)
    review_ends_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.CharField(max_length=200, blank=True)
    # The client's dispute in the review window (SPEC §9): the money stays in review and the
    # contract is paused until the disputes work decides which hours are billed.
    disputed_at = models.DateTimeField(null=True, blank=True)
    dispute_reason = models.TextField(max_length=2000, blank=True)
    # What a dispute's decision took off; the invoice then bills what stands. A charged
    # invoice had `refunded_cents` of its charge refunded from review; an uncharged one is
    # billed for what stands alone.
    refunded_seconds = models.PositiveIntegerField(default=0)
    refunded_cents = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["-week_start", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "week_start"], name="invoice_once_a_week"),
            models.CheckConstraint(
                condition=models.Q(state__in=InvoiceState.values), name="invoice_state_known"
            ),
            models.CheckConstraint(
                condition=models.Q(seconds_billed__lte=models.F("seconds_logged")),
                name="invoice_bills_at_most_what_was_logged",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    protected_cents__gte=0, protected_cents__lte=models.F("amount_cents")
                ),
                name="invoice_protects_at_most_its_amount",
            ),
        ]
        indexes = [models.Index(fields=["state", "review_ends_at"], name="invoice_review_due")]

    def __str__(self) -> str:
        return f"Invoice {self.pk}: contract {self.contract_id}, week of {self.week_start}"

    @property
    def total_cents(self) -> int:
        return self.amount_cents + self.marketplace_fee_cents + self.initiation_fee_cents

    @property
    def charged_cents(self) -> int:
        """What the client's charge took, hours refunded by a dispute's decision included."""
        return self.total_cents + self.refunded_cents


class TimesheetReminder(models.Model):
    """The reminder sent to a freelancer who may log manual time that a week locks the next
    day (SPEC §7.2: edits until Monday 11:59 UTC): one per contract-week, so the rule is
    safe to run again."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="+")
    week_start = models.DateField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contract", "week_start"], name="reminder_once_a_week")
        ]

    def __str__(self) -> str:
        return f"Reminder for contract {self.contract_id}, week of {self.week_start}"


MINIMUM_BONUS_CENTS = 100


class Bonus(models.Model):
    """A payment the client makes to the freelancer beyond the contract's terms (SPEC §7.3):
    any amount, while the contract runs or up to 365 days after it ended; the service fee
    applies on the relationship's billings and the client pays the marketplace fee on top.
    Not disputable. `key` makes a retried request (a double click, an API retry) pay once."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="bonuses")
    amount_cents = models.BigIntegerField()
    marketplace_fee_cents = models.BigIntegerField()
    note = models.CharField(max_length=1000, blank=True)
    key = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    # The client's marketplace fee (none under a policy without one), and billing's record
    # of the payment to the freelancer from the client's balance (gross, fee by tier, net).
    fee_transfer = models.OneToOneField(
        "ledger.Transfer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payment = models.OneToOneField(
        "billing.Payment", on_delete=models.PROTECT, related_name="bonus"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "key"], name="bonus_once_per_key"),
            models.CheckConstraint(
                condition=models.Q(amount_cents__gte=MINIMUM_BONUS_CENTS)
                & models.Q(marketplace_fee_cents__gte=0),
                name="bonus_amounts",
            ),
        ]

    def __str__(self) -> str:
        return f"Bonus {self.pk} on contract {self.contract_id}"

    @property
    def total_cents(self) -> int:
        return self.amount_cents + self.marketplace_fee_cents


class Refund(models.Model):
    """Part or all of a payment on the contract given back to the client by the freelancer
    (SPEC §7.3), on their own or by accepting the client's request. The fee on the refunded
    part goes back in proportion (`billing.payments.payment_refund`), so the relationship's
    billings and the freelancer's net stay exact."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="refunds")
    payment = models.ForeignKey("billing.Payment", on_delete=models.PROTECT, related_name="+")
    amount_cents = models.BigIntegerField()
    reason = models.CharField(max_length=1000)
    key = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    transfer = models.OneToOneField("ledger.Transfer", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "key"], name="refund_once_per_key"),
            models.CheckConstraint(condition=models.Q(amount_cents__gt=0), name="refund_positive"),
        ]

    def __str__(self) -> str:
        return f"Refund {self.pk} on contract {self.contract_id}"


class RefundRequestState(models.TextChoices):
    PENDING = "pending", "Waiting for the freelancer"
    ACCEPTED = "accepted", "Accepted and refunded"
    REJECTED = "rejected", "Rejected"
    LAPSED = "lapsed", "Not answered in time"
    DISPUTED = "disputed", "In dispute"
    SETTLED = "settled", "Decided in a dispute"


# Where a refund request may go (house rule: states move only along a table). A rejected or
# lapsed request lets the client open a dispute, whose decision settles it.
REFUND_REQUEST_TRANSITIONS: dict[str, set[str]] = {
    RefundRequestState.PENDING: {
        RefundRequestState.ACCEPTED,
        RefundRequestState.REJECTED,
        RefundRequestState.LAPSED,
    },
    RefundRequestState.ACCEPTED: set(),
    RefundRequestState.REJECTED: {RefundRequestState.DISPUTED},
    RefundRequestState.LAPSED: {RefundRequestState.DISPUTED},
    RefundRequestState.DISPUTED: {RefundRequestState.SETTLED},
    RefundRequestState.SETTLED: set(),
}


class RefundRequest(models.Model):
    """The client asks for part or all of a payment back (up to 365 days after it was made);
    the freelancer has 7 days to accept (a `Refund`) or reject it. Rejected or unanswered,
    the client may dispute it within 30 days (the disputes app decides the refund)."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="refund_requests")
    payment = models.ForeignKey("billing.Payment", on_delete=models.PROTECT, related_name="+")
    amount_cents = models.BigIntegerField()
    reason = models.CharField(max_length=1000)
    state = models.CharField(
        max_length=10, choices=RefundRequestState.choices, default=RefundRequestState.PENDING
    )
    created_at = models.DateTimeField()
    answer_by = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    answer_note = models.CharField(max_length=1000, blank=True)
    refund = models.OneToOneField(
        Refund, null=True, blank=True, on_delete=models.PROTECT, related_name="request"
    )
    # A dispute after a rejection: the refund it decides (what the freelancer still held of
    # the amount asked), held from the freelancer meanwhile.
    disputed_at = models.DateTimeField(null=True, blank=True)
    disputed_cents = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["payment"],
                condition=models.Q(state="pending"),
                name="refund_request_one_pending_per_payment",
            ),
            models.CheckConstraint(
                condition=models.Q(amount_cents__gt=0), name="refund_request_positive"
            ),
        ]
        indexes = [models.Index(fields=["state", "answer_by"], name="refund_request_due")]

    def __str__(self) -> str:
        return f"Refund request {self.pk} on contract {self.contract_id}"


class ExpenseState(models.TextChoices):
    PROPOSED = "proposed", "Waiting for the client"
    ACCEPTED = "accepted", "Accepted, not funded"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"
    FUNDED = "funded", "Funded, in escrow"
    RELEASED = "released", "Reimbursed"
    DISPUTED = "disputed", "In dispute"
    SETTLED = "settled", "Settled by a dispute"


# Where an expense may go (house rule: states move only along a table).
EXPENSE_TRANSITIONS: dict[str, set[str]] = {
    ExpenseState.PROPOSED: {ExpenseState.ACCEPTED, ExpenseState.DECLINED, ExpenseState.WITHDRAWN},
    # The freelancer may give up an accepted expense, funded or not (its escrow goes back).
    ExpenseState.ACCEPTED: {ExpenseState.FUNDED, ExpenseState.WITHDRAWN},
    ExpenseState.FUNDED: {ExpenseState.RELEASED, ExpenseState.WITHDRAWN, ExpenseState.DISPUTED},
    # A funded expense in dispute: its escrow is frozen until the decision splits it.
    ExpenseState.DISPUTED: {ExpenseState.SETTLED},
    ExpenseState.DECLINED: set(),
    ExpenseState.WITHDRAWN: set(),
    ExpenseState.RELEASED: set(),
    ExpenseState.SETTLED: set(),
}
# An accepted expense is a term of the contract until it is reimbursed.
OPEN_EXPENSE_STATES = (ExpenseState.ACCEPTED, ExpenseState.FUNDED)


class Expense(models.Model):
    """A cost the freelancer fronted for the work (SPEC §7.3), with its receipt. It becomes
    part of the contract only when the client accepts it; the client then funds it into the
    contract's escrow (with the marketplace fee, as a milestone) and releases it to the
    freelancer without a service fee: an expense is a reimbursement, not a payment for work,
    so it never counts in the relationship's billings."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="expenses")
    description = models.CharField(max_length=500)
    amount_cents = models.BigIntegerField()
    receipt = models.FileField(upload_to="receipts/%Y/%m/")
    receipt_name = models.CharField(max_length=200)
    receipt_content_type = models.CharField(max_length=100)
    receipt_size_bytes = models.PositiveIntegerField()
    state = models.CharField(
        max_length=10, choices=ExpenseState.choices, default=ExpenseState.PROPOSED
    )
    created_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    marketplace_fee_cents = models.BigIntegerField(default=0)
    funding = models.OneToOneField(
        "ledger.Transfer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    release = models.OneToOneField(
        "ledger.Transfer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A dispute's decision: what of the escrow was reimbursed (the rest went back).
    settled_to_freelancer_cents = models.BigIntegerField(null=True, blank=True)
    # The chat message it was proposed from ("propose as amendment"), when it was.
    source_message = models.ForeignKey(
        "messaging.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_cents__gte=MINIMUM_BONUS_CENTS),
                name="expense_minimum",
            ),
        ]

    def __str__(self) -> str:
        return f"Expense {self.pk}: {self.description}"


class PauseCause(models.TextChoices):
    CLIENT = "client", "Paused by the client"
    INVOICE_DISPUTE = "invoice_dispute", "An invoice was disputed"


class ContractPause(models.Model):
    """A stretch of time an hourly contract was paused (SPEC §7.3): no time inside it is
    logged, before or after the contract resumes; time worked before it still is, while its
    week is open. `ended_at` is empty while the pause lasts."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="pauses")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    cause = models.CharField(max_length=20, choices=PauseCause.choices)

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract"],
                condition=models.Q(ended_at__isnull=True),
                name="contract_pause_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"Pause of contract {self.contract_id} from {self.started_at:%Y-%m-%d %H:%M}"
