"""Proposals and invitations (SPEC §5 cost and refunds, §6 up to offers).

A proposal is one freelancer's pitch for one post: the profile it is sent with, a cover
letter, a bid matching the post's budget type (a fixed amount with an optional milestone
plan, or an hourly rate), an estimated duration, one answer per screening question and
attachments. What it cost in Connects is kept with the spend move, so the refund rules of
§5 can give exactly that spend back. An invitation is a client's request that a freelancer
propose; accepting it sends a proposal that costs nothing.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from openlance.connects.models import ConnectsMove
from openlance.jobs.models import BudgetType, Duration, JobPost

MAX_MILESTONES = 10
MAX_ATTACHMENTS = 5
# The hours the proposal form's gig math is worked out for (SPEC §6 shows it before
# sending); the calculator takes the same, so every proposal's numbers can be shown.
MAX_WORK_HOURS = Decimal("10000")
MAX_PITCH_HOURS = Decimal("100")


class ProposalState(models.TextChoices):
    """As the freelancer sees it. `archived` is where a proposal ends when the client hires
    someone else (the post closed with a hire, so nothing is refunded); `job_closed` is where
    it ends when the post closes without a hire, expires or is removed (Connects come back)."""

    SUBMITTED = "submitted", "Submitted"
    ACTIVE = "active", "Active"
    OFFER = "offer", "Offer"
    HIRED = "hired", "Hired"
    WITHDRAWN = "withdrawn", "Withdrawn"
    DECLINED = "declined", "Declined"
    ARCHIVED = "archived", "Archived"
    JOB_CLOSED = "job_closed", "Job closed"


# Offers and hires arrive with the contracts feature; their edges are here already so that
# feature only adds services, not states.
TRANSITIONS: dict[str, set[str]] = {
    ProposalState.SUBMITTED: {
        ProposalState.ACTIVE,
        ProposalState.OFFER,
        ProposalState.WITHDRAWN,
        ProposalState.DECLINED,
        ProposalState.ARCHIVED,
        ProposalState.JOB_CLOSED,
    },
    ProposalState.ACTIVE: {
        ProposalState.OFFER,
        ProposalState.WITHDRAWN,
        ProposalState.DECLINED,
        ProposalState.ARCHIVED,
        ProposalState.JOB_CLOSED,
    },
    # While an offer is out the proposal cannot be withdrawn or declined: the offer could
    # still be accepted. Declining or withdrawing the offer first moves it back to active.
    ProposalState.OFFER: {
        ProposalState.HIRED,
        ProposalState.ACTIVE,
        ProposalState.ARCHIVED,
        ProposalState.JOB_CLOSED,
    },
    ProposalState.HIRED: set(),
    ProposalState.WITHDRAWN: set(),
    ProposalState.DECLINED: set(),
    ProposalState.ARCHIVED: set(),
    ProposalState.JOB_CLOSED: set(),
}

LIVE_STATES = (ProposalState.SUBMITTED, ProposalState.ACTIVE, ProposalState.OFFER)


class Proposal(models.Model):
    job = models.ForeignKey(JobPost, on_delete=models.PROTECT, related_name="proposals")
    freelancer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="proposals"
    )
    # A specialized profile may be deleted later; the proposal then shows the general one.
    profile = models.ForeignKey(
        "profiles.Profile",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposals",
    )
    invitation = models.OneToOneField(
        "Invitation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="proposal",
    )
    cover_letter = models.TextField(max_length=5000)
    bid_type = models.CharField(max_length=8, choices=BudgetType.choices)
    bid_cents = models.BigIntegerField(null=True, blank=True)
    hourly_rate_cents = models.BigIntegerField(null=True, blank=True)
    duration = models.CharField(max_length=24, choices=Duration.choices)
    connects_cost = models.PositiveIntegerField(default=0)
    connects_spend = models.OneToOneField(
        ConnectsMove, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(
        max_length=16, choices=ProposalState.choices, default=ProposalState.SUBMITTED
    )
    shortlisted = models.BooleanField(default=False)
    archived = models.BooleanField(default=False)
    decline_reason = models.TextField(max_length=1000, blank=True)
    interview_started_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["job", "freelancer"], name="proposal_one_per_job"),
            models.CheckConstraint(
                condition=(
                    models.Q(bid_type="fixed", bid_cents__gte=500, hourly_rate_cents__isnull=True)
                    | models.Q(
                        bid_type="hourly", hourly_rate_cents__gte=300, bid_cents__isnull=True
                    )
                ),
                name="proposal_bid_at_least_minimum",
            ),
            models.CheckConstraint(
                condition=models.Q(connects_cost=0, connects_spend__isnull=True)
                | models.Q(connects_cost__gt=0, connects_spend__isnull=False),
                name="proposal_cost_has_spend",
            ),
        ]
        indexes = [
            models.Index(fields=["freelancer", "state", "-created_at"], name="proposal_mine"),
            models.Index(fields=["job", "state"], name="proposal_of_job"),
        ]

    def __str__(self) -> str:
        return f"Proposal {self.pk} for job {self.job_id}"

    @property
    def is_live(self) -> bool:
        return self.state in LIVE_STATES

    @property
    def interview_started(self) -> bool:
        return self.interview_started_at is not None

    @property
    def topic(self) -> str:
        """The interview conversation's topic in messaging."""
        return f"proposal:{self.pk}"


class ProposalMilestone(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="milestones")
    position = models.PositiveSmallIntegerField()
    description = models.CharField(max_length=200)
    amount_cents = models.BigIntegerField()
    due_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "position"], name="proposal_milestone_position_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(amount_cents__gte=500), name="proposal_milestone_minimum"
            ),
        ]

    def __str__(self) -> str:
        return self.description


class ProposalAnswer(models.Model):
    """The question is copied: a post's questions are rewritten whenever it is edited."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="answers")
    position = models.PositiveSmallIntegerField()
    question = models.CharField(max_length=500)
    answer = models.TextField(max_length=5000)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "position"], name="proposal_answer_position_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.question


class ProposalAttachment(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="proposals/%Y/%m/")
    name = models.CharField(max_length=200)
    size_bytes = models.PositiveIntegerField()
    content_type = models.CharField(max_length=100)
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class InvitationState(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    JOB_CLOSED = "job_closed", "Job closed"


INVITATION_TRANSITIONS: dict[str, set[str]] = {
    InvitationState.PENDING: {
        InvitationState.ACCEPTED,
        InvitationState.DECLINED,
        InvitationState.JOB_CLOSED,
    },
    InvitationState.ACCEPTED: set(),
    InvitationState.DECLINED: set(),
    InvitationState.JOB_CLOSED: set(),
}


class DeclineReason(models.TextChoices):
    NOT_INTERESTED = "not_interested", "Not interested in this job"
    TOO_BUSY = "too_busy", "Too busy right now"
    BUDGET = "budget", "The budget is too low"
    SKILLS = "skills", "It does not match my skills"
    OTHER = "other", "Other"


class Invitation(models.Model):
    job = models.ForeignKey(JobPost, on_delete=models.PROTECT, related_name="invitations")
    freelancer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="invitations"
    )
    message = models.TextField(max_length=2000)
    state = models.CharField(
        max_length=16, choices=InvitationState.choices, default=InvitationState.PENDING
    )
    decline_reason = models.CharField(max_length=16, choices=DeclineReason.choices, blank=True)
    decline_note = models.TextField(max_length=1000, blank=True)
    created_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["job", "freelancer"], name="invitation_one_per_job"),
            models.CheckConstraint(
                condition=~models.Q(state="declined") | ~models.Q(decline_reason=""),
                name="invitation_decline_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["freelancer", "state", "-created_at"], name="invitation_mine"),
        ]

    def __str__(self) -> str:
        return f"Invitation {self.pk} to job {self.job_id}"

    @property
    def is_pending(self) -> bool:
        return self.state == InvitationState.PENDING
