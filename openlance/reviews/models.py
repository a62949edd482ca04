"""Feedback on ended contracts (SPEC §10): both directions, double-blind until both sides
have submitted or the window closes, then frozen.

Contracts sit beside reviews in the layer order, so nothing here imports them: a contract
is reached through the string foreign key "contracts.Contract", and reviews learn that one
ended from the `contract.ended` outbox event.

How the Job Success Score and the client rating read these rows (SPEC §2.3, §11): a
`Feedback` row is one side's feedback on one contract; it counts once `revealed_at` is set
and while `counts` is true (false for a client staff flagged, `ClientFeedbackFlag`). The
public part is six whole ratings and their mean (`overall_hundredths`, exact to the cent of
a point; the exact mean is their sum over six) and a text, whole or absent; the private
part (`end_reason`, `recommend`) exists only on the client's feedback about the freelancer
and is never shown to them. The client may leave either part or both (SPEC §11 counts a
contract "ended with client feedback (public or private)"); the freelancer leaves the
public part. So a client's feedback may have no ratings (all six and the overall null).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.expressions import Combinable
from django.db.models.functions import Abs
from django.db.models.lookups import LessThanOrEqual

# SPEC §10 / §17: "When a contract ends both sides have 14 days to leave feedback." Kept
# here rather than as a policy kind: policy kinds are declared in core (its `PolicyKind`
# choices and schemas), and the deadline is stored on each window when it opens, so moving
# it into a `reviews` policy later changes only `window_closes_at`.
FEEDBACK_WINDOW = timedelta(days=14)
# contracts.ContractState.ENDED, named here because reviews may not import contracts.
CONTRACT_ENDED = "ended"

MAX_TEXT = 5000
RATING_MIN, RATING_MAX = 1, 5
RECOMMEND_MIN, RECOMMEND_MAX = 0, 10
ATTRIBUTES: tuple[tuple[str, str], ...] = (
    ("skills", "Skills"),
    ("quality", "Quality of work"),
    ("availability", "Availability"),
    ("deadlines", "Adherence to deadlines"),
    ("communication", "Communication"),
    ("cooperation", "Cooperation"),
)
ATTRIBUTE_NAMES: tuple[str, ...] = tuple(name for name, _ in ATTRIBUTES)


def window_closes_at(ended_at: datetime) -> datetime:
    return ended_at + FEEDBACK_WINDOW


def overall_hundredths(total: int) -> int:
    """The mean of the six ratings in hundredths of a point, rounded half up. (A sum of six
    whole ratings over six never ends in exactly half a hundredth, so the rounding is only
    ever of a third: 25 / 6 = 4.1666… is 417.)"""
    return (100 * total + 3) // 6


class FeedbackDirection(models.TextChoices):
    CLIENT_TO_FREELANCER = "client_to_freelancer", "The client about the freelancer"
    FREELANCER_TO_CLIENT = "freelancer_to_client", "The freelancer about the client"


class EndReason(models.TextChoices):
    """Why the client ended the contract: private feedback, never shown to the freelancer."""

    COMPLETED = "completed", "Job completed successfully"
    FREELANCER_UNRESPONSIVE = "freelancer_unresponsive", "The freelancer was unresponsive"
    QUALITY = "quality_not_as_expected", "Quality was not as expected"
    DEADLINES_MISSED = "deadlines_missed", "Deadlines were missed"
    SCOPE_CHANGED = "scope_changed", "The budget or scope changed"
    HIRED_SOMEONE_ELSE = "hired_someone_else", "I hired someone else"
    NO_LONGER_NEEDED = "no_longer_needed", "The work is no longer needed"
    OTHER = "other", "Another reason"


class FeedbackStage(models.TextChoices):
    """Where a contract's feedback stands for its two parties (derived, never stored)."""

    NOT_OPEN = "not_open", "Opens when the contract ends"
    OPEN = "open", "Open: feedback may be left and edited"
    CLOSED = "closed", "Revealed and frozen"


class RevealReason(models.TextChoices):
    BOTH_SUBMITTED = "both_submitted", "Both sides submitted"
    WINDOW_CLOSED = "window_closed", "The window closed"


class FeedbackWindow(models.Model):
    """The feedback window of one ended contract and its reveal. Opened by the
    `contract.ended` handler (or by the first feedback, if that comes first); revealed when
    both sides have submitted, or at `closes_at` by `feedback_reveal_run_due`."""

    contract = models.OneToOneField(
        "contracts.Contract", on_delete=models.PROTECT, related_name="feedback_window"
    )
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    revealed_at = models.DateTimeField(null=True, blank=True)
    reveal_reason = models.CharField(max_length=16, choices=RevealReason.choices, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-opens_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")),
                name="feedback_window_closes_after_opening",
            ),
            models.CheckConstraint(
                condition=Q(revealed_at__isnull=True, reveal_reason="")
                | Q(
                    revealed_at__isnull=False,
                    revealed_at__gte=F("opens_at"),
                    reveal_reason__in=RevealReason.values,
                ),
                name="feedback_window_revealed_with_reason",
            ),
        ]
        indexes = [
            models.Index(
                fields=["closes_at"],
                condition=Q(revealed_at__isnull=True),
                name="feedback_window_reveal_due",
            ),
        ]

    def __str__(self) -> str:
        return f"Feedback window of contract {self.contract_id}"

    def revealed_by(self, now: datetime) -> bool:
        """Revealed as of `now`: recorded, or past the deadline (the rule is a function of
        the stored deadline and now, whether or not the periodic task has run yet)."""
        return self.revealed_at is not None or now >= self.closes_at


def _ratings_total() -> Combinable:
    total: Combinable = F(ATTRIBUTE_NAMES[0])
    for name in ATTRIBUTE_NAMES[1:]:
        total = total + F(name)
    return total


def _public(*, absent: bool) -> dict[str, Any]:
    """The public part's columns all null (`absent`) or all set."""
    return {f"{name}__isnull": absent for name in (*ATTRIBUTE_NAMES, "overall_hundredths")}


class Feedback(models.Model):
    """One side's feedback on one contract. Written only by `feedback_submit` (editable
    until revealed, frozen after); `revealed_at` copies the window's when it is revealed,
    so the reads of a profile's reviews need no join."""

    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.PROTECT, related_name="feedback"
    )
    direction = models.CharField(max_length=24, choices=FeedbackDirection.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="feedback_given"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="feedback_received"
    )
    # Public, both directions: six attributes rated 1-5, their mean, and a text; all or
    # none (none only on a client's feedback that has its private part).
    skills = models.PositiveSmallIntegerField(null=True, blank=True)
    quality = models.PositiveSmallIntegerField(null=True, blank=True)
    availability = models.PositiveSmallIntegerField(null=True, blank=True)
    deadlines = models.PositiveSmallIntegerField(null=True, blank=True)
    communication = models.PositiveSmallIntegerField(null=True, blank=True)
    cooperation = models.PositiveSmallIntegerField(null=True, blank=True)
    overall_hundredths = models.PositiveSmallIntegerField(null=True, blank=True)
    text = models.TextField(max_length=MAX_TEXT, blank=True)
    # Private, the client about the freelancer only: both or neither.
    end_reason = models.CharField(max_length=32, choices=EndReason.choices, blank=True)
    recommend = models.PositiveSmallIntegerField(null=True, blank=True)
    # False while the author is a client flagged for unfounded poor feedback: the feedback
    # stays visible, but the Job Success Score does not count it.
    counts = models.BooleanField(default=True)
    submitted_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    revealed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name_plural = "feedback"
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "direction"], name="feedback_one_per_contract_and_direction"
            ),
            # The range and the mean hold for a public part; without one (all null) SQL
            # finds them unknown, which a check constraint lets pass.
            models.CheckConstraint(
                condition=Q(
                    **{
                        f"{name}__{bound}": value
                        for name in ATTRIBUTE_NAMES
                        for bound, value in (("gte", RATING_MIN), ("lte", RATING_MAX))
                    }
                ),
                name="feedback_ratings_in_range",
            ),
            models.CheckConstraint(
                condition=Q(**_public(absent=True), text="")
                | (Q(**_public(absent=False)) & ~Q(text="")),
                name="feedback_public_whole_or_absent",
            ),
            models.CheckConstraint(
                condition=Q(overall_hundredths__isnull=False) | Q(recommend__isnull=False),
                name="feedback_has_a_part",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(
                    Abs(F("overall_hundredths") * 6 - _ratings_total() * 100), 2
                ),
                name="feedback_overall_is_the_mean",
            ),
            models.CheckConstraint(
                condition=Q(recommend__isnull=True)
                | Q(recommend__gte=RECOMMEND_MIN, recommend__lte=RECOMMEND_MAX),
                name="feedback_recommend_in_range",
            ),
            models.CheckConstraint(
                condition=Q(end_reason__in=["", *EndReason.values]),
                name="feedback_end_reason_known",
            ),
            models.CheckConstraint(
                condition=Q(end_reason="", recommend__isnull=True)
                | (
                    Q(direction="client_to_freelancer", recommend__isnull=False) & ~Q(end_reason="")
                ),
                name="feedback_private_from_client_and_whole",
            ),
            models.CheckConstraint(
                condition=~Q(author=F("recipient")), name="feedback_not_about_oneself"
            ),
        ]
        indexes = [
            models.Index(
                fields=["recipient", "direction", "-revealed_at"],
                condition=Q(revealed_at__isnull=False),
                name="feedback_received_revealed",
            ),
            models.Index(fields=["author", "direction"], name="feedback_author_direction"),
        ]

    def __str__(self) -> str:
        return f"Feedback on contract {self.contract_id} ({self.direction})"

    @property
    def has_public(self) -> bool:
        return self.overall_hundredths is not None

    @property
    def overall(self) -> Decimal | None:
        """The mean of the six ratings to the cent of a point; None without a public part."""
        if self.overall_hundredths is None:
            return None
        return Decimal(self.overall_hundredths) / 100


class ClientFeedbackFlag(models.Model):
    """Staff found that a client repeatedly gives unfounded poor feedback (SPEC §10): while
    the flag is open their feedback about freelancers does not count. Cleared, never
    deleted, so the history of who decided what stays (with the staff audit log)."""

    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="feedback_flags"
    )
    reason = models.TextField(max_length=2000)
    flagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    flagged_at = models.DateTimeField()
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cleared_at = models.DateTimeField(null=True, blank=True)
    clear_reason = models.TextField(max_length=2000, blank=True)

    class Meta:
        ordering = ["-flagged_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client"],
                condition=Q(cleared_at__isnull=True),
                name="feedback_flag_one_open_per_client",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="feedback_flag_has_reason"),
            models.CheckConstraint(
                condition=Q(cleared_at__isnull=True, cleared_by__isnull=True, clear_reason="")
                | (
                    Q(cleared_at__isnull=False, cleared_by__isnull=False)
                    & ~Q(clear_reason="")
                    & Q(cleared_at__gte=F("flagged_at"))
                ),
                name="feedback_flag_cleared_with_reason",
            ),
        ]

    def __str__(self) -> str:
        state = "cleared" if self.cleared_at else "open"
        return f"Feedback flag on client {self.client_id} ({state})"

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None
