"""Disputes (SPEC §9).

Fixed price, on a milestone's escrow: opened by the freelancer (the client does not release
submitted work, or ends the contract with it in escrow) or the client (they want the escrow
back), answered by the other side within 5 business days or decided for the opener, then
mediated (a split both accept) or arbitrated (a mediator records the outcome). The escrow is
frozen meanwhile.

Hourly, on an invoice the client disputes in its review window: the contract is paused, the
freelancer has 3 days to respond (or no hour is billed), then a mediator decides which hours
are billed and which refunded.

A funded expense's escrow is disputed like a milestone's.

A refund the freelancer rejected (or left unanswered) the client may dispute within 30 days:
the freelancer's part of it is held from their money meanwhile, and the decision refunds the
client's share of the payment (its service fee back in proportion) and releases the rest.

Either way the side that did not open it may concede instead, the outcome is executed once
through the ledger and recorded on the contract (read by the Job Success Score)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from openlance.contracts.models import Contract, Expense, HourlyInvoice, Milestone, RefundRequest


class DisputeState(models.TextChoices):
    AWAITING_RESPONSE = "awaiting_response", "Waiting for the other side"
    IN_MEDIATION = "in_mediation", "In mediation"
    PROPOSED = "proposed", "A split is proposed"
    ARBITRATION = "arbitration", "In arbitration"
    DECIDED = "decided", "Decided"


# Where a dispute may go (house rule: states move only along a table).
DISPUTE_TRANSITIONS: dict[str, set[str]] = {
    DisputeState.AWAITING_RESPONSE: {DisputeState.IN_MEDIATION, DisputeState.DECIDED},
    # Decided from mediation: an hourly dispute's hours, or a side that concedes.
    DisputeState.IN_MEDIATION: {
        DisputeState.PROPOSED,
        DisputeState.ARBITRATION,
        DisputeState.DECIDED,
    },
    DisputeState.PROPOSED: {
        DisputeState.PROPOSED,
        DisputeState.DECIDED,
        DisputeState.ARBITRATION,
    },
    DisputeState.ARBITRATION: {DisputeState.DECIDED},
    DisputeState.DECIDED: set(),
}
OPEN_DISPUTE_STATES = (
    DisputeState.AWAITING_RESPONSE,
    DisputeState.IN_MEDIATION,
    DisputeState.PROPOSED,
    DisputeState.ARBITRATION,
)


class Side(models.TextChoices):
    CLIENT = "client", "Client"
    FREELANCER = "freelancer", "Freelancer"


class DecidedBy(models.TextChoices):
    NO_RESPONSE = "no_response", "No response in time: for the side that opened it"
    CONCEDED = "conceded", "The other side conceded: for the side that opened it"
    AGREEMENT = "agreement", "Both sides accepted the mediator's split"
    MEDIATOR = "mediator", "A mediator decided the hours billed"
    ARBITRATION = "arbitration", "Arbitration"


class Dispute(models.Model):
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="disputes")
    # What is disputed: a fixed-price milestone's escrow, a funded expense's, an hourly
    # invoice, or a refund the freelancer rejected.
    milestone = models.ForeignKey(
        Milestone, null=True, blank=True, on_delete=models.PROTECT, related_name="disputes"
    )
    invoice = models.ForeignKey(
        HourlyInvoice, null=True, blank=True, on_delete=models.PROTECT, related_name="disputes"
    )
    expense = models.ForeignKey(
        Expense, null=True, blank=True, on_delete=models.PROTECT, related_name="disputes"
    )
    refund_request = models.ForeignKey(
        RefundRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="disputes"
    )
    opened_by = models.CharField(max_length=10, choices=Side.choices)
    reason = models.TextField(max_length=5000)
    amount_cents = models.BigIntegerField()
    state = models.CharField(
        max_length=20, choices=DisputeState.choices, default=DisputeState.AWAITING_RESPONSE
    )
    opened_at = models.DateTimeField()
    respond_by = models.DateTimeField()
    response = models.TextField(max_length=5000, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    # A mediator proposes a split within 30 days of the response; after that, arbitration.
    mediate_by = models.DateTimeField(null=True, blank=True)
    mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    proposal_freelancer_cents = models.BigIntegerField(null=True, blank=True)
    proposal_note = models.TextField(max_length=5000, blank=True)
    proposed_at = models.DateTimeField(null=True, blank=True)
    # Counts the mediator's proposals: an answer names the one it read.
    proposal_revision = models.PositiveIntegerField(default=0)
    client_accepted_at = models.DateTimeField(null=True, blank=True)
    freelancer_accepted_at = models.DateTimeField(null=True, blank=True)
    rejected_by = models.CharField(max_length=10, choices=Side.choices, blank=True)
    freelancer_cents = models.BigIntegerField(null=True, blank=True)
    # An hourly dispute's decision: how many of the invoice's billed seconds stand.
    billed_seconds = models.PositiveIntegerField(null=True, blank=True)
    decided_by = models.CharField(max_length=12, choices=DecidedBy.choices, blank=True)
    decision_note = models.TextField(max_length=5000, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["milestone"],
                condition=~models.Q(state="decided"),
                name="dispute_one_open_per_milestone",
            ),
            models.UniqueConstraint(fields=["invoice"], name="dispute_once_per_invoice"),
            models.CheckConstraint(
                condition=models.Q(amount_cents__gt=0), name="dispute_amount_positive"
            ),
            models.UniqueConstraint(fields=["expense"], name="dispute_once_per_expense"),
            models.UniqueConstraint(fields=["refund_request"], name="dispute_once_per_request"),
            models.CheckConstraint(
                condition=(
                    models.Q(
                        milestone__isnull=False,
                        invoice__isnull=True,
                        expense__isnull=True,
                        refund_request__isnull=True,
                    )
                    | models.Q(
                        milestone__isnull=True,
                        invoice__isnull=False,
                        expense__isnull=True,
                        refund_request__isnull=True,
                    )
                    | models.Q(
                        milestone__isnull=True,
                        invoice__isnull=True,
                        expense__isnull=False,
                        refund_request__isnull=True,
                    )
                    | models.Q(
                        milestone__isnull=True,
                        invoice__isnull=True,
                        expense__isnull=True,
                        refund_request__isnull=False,
                    )
                ),
                name="dispute_on_one_subject",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "respond_by"], name="dispute_response_due"),
            models.Index(fields=["state", "mediate_by"], name="dispute_mediation_due"),
        ]

    def __str__(self) -> str:
        return f"Dispute {self.pk} on contract {self.contract_id}"

    @property
    def is_hourly(self) -> bool:
        return self.invoice_id is not None

    @property
    def subject(self) -> str:
        """What is disputed, in words."""
        if self.invoice is not None:
            return f"the invoice for the week of {self.invoice.week_start:%B %-d, %Y}"
        if self.expense is not None:
            return f"the expense “{self.expense.description}”"
        if self.refund_request is not None:
            payment = self.refund_request.payment
            return f"a refund of the payment of {payment.created_at:%B %-d, %Y}"
        assert self.milestone is not None
        return f"the escrow for “{self.milestone.description}”"

    @property
    def client_cents(self) -> int | None:
        return None if self.freelancer_cents is None else self.amount_cents - self.freelancer_cents

    @property
    def proposal_client_cents(self) -> int | None:
        if self.proposal_freelancer_cents is None:
            return None
        return self.amount_cents - self.proposal_freelancer_cents
