"""The Job Success Score as stored (SPEC §11): each freelancer's current score and the
policy version it was computed under, and a history row for every change with its reason
and the windows' scores it made (the explanation page and the API compute the current
windows again, by the same function). The numbers are computed by `jss.jss_compute` from
contracts, payments and feedback (`services.jss_recompute`); nothing here is ever entered
by hand. Profiles keep a copy of the score (`Freelancer.jss_percent`) for search, written
through `profiles.services.freelancer_score_record`."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from openlance.core.models import Policy

SCORE_MIN, SCORE_MAX = 0, 100


def _score_in_range(field: str) -> Q:
    return Q(**{f"{field}__isnull": True}) | Q(
        **{f"{field}__gte": SCORE_MIN, f"{field}__lte": SCORE_MAX}
    )


class JssReason(models.TextChoices):
    """What made the score be computed again: the outcome event, or a rule of time."""

    CONTRACT_STARTED = "contract.started", "A contract started"
    CONTRACT_ENDED = "contract.ended", "A contract ended"
    FEEDBACK_REVEALED = "feedback.revealed", "A client's feedback was revealed"
    PAYMENT_MADE = "payment.made", "A payment was made"
    PAYMENT_REFUNDED = "payment.refunded", "A payment was refunded"
    CLIENT_FLAGGED = "client.feedback_flagged", "Staff flagged a client's feedback as unfounded"
    CLIENT_UNFLAGGED = "client.feedback_unflagged", "A client's feedback counts again"
    DISPUTE_DECIDED = "dispute.decided", "A dispute was decided"
    AGEING = "jss.ageing", "Time passed: a contract left a window or became long-running"
    POLICY = "jss.policy", "A new version of the score's policy took effect"
    BACKFILL = "jss.backfill", "First computed, for contracts made before the score existed"
    MANUAL = "jss.manual", "Recomputed by an operator"


class JssScore(models.Model):
    """A freelancer's current score. `score` is None for "no score yet" (below the minimum
    of counted contracts and clients), never 0 in its place. `next_change_at` is the first
    moment at which time alone can change it (`jss_ageing_run_due` recomputes from then).
    When it last changed is the latest `JssChange.at`."""

    freelancer = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="jss_score"
    )
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    counted_contracts = models.PositiveIntegerField(default=0)
    counted_clients = models.PositiveIntegerField(default=0)
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="+")
    computed_at = models.DateTimeField()
    next_change_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "Job Success Score"
        constraints = [
            models.CheckConstraint(condition=_score_in_range("score"), name="jss_score_in_range"),
        ]
        indexes = [
            models.Index(
                fields=["next_change_at"],
                condition=Q(next_change_at__isnull=False),
                name="jss_score_ageing_due",
            ),
        ]

    def __str__(self) -> str:
        shown = "no score yet" if self.score is None else f"{self.score}%"
        return f"JSS of user {self.freelancer_id}: {shown}"


class JssChange(models.Model):
    """A change of a freelancer's score, or of what it is made of, and why: the event kind
    (or rule) and the contract it was about. `windows` and `counted` describe the new state
    for the explanation ("what moved since last time") and the chart; they hold outcome
    classes and weights, never a client's private score."""

    freelancer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="jss_changes"
    )
    at = models.DateTimeField()
    old_score = models.PositiveSmallIntegerField(null=True, blank=True)
    new_score = models.PositiveSmallIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=32, choices=JssReason.choices)
    contract = models.ForeignKey(
        "contracts.Contract",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="jss_changes",
    )
    # Other ids of the event, for the record: payment_id, flag_id, client_id, policy_id.
    reason_ref = models.JSONField(default=dict, blank=True)
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="+")
    # [{"months": 6, "score": 95, "contracts": 3}, ...]
    windows = models.JSONField(default=list, blank=True)
    # [{"contract_id": 7, "basis": "feedback", "outcome": "positive", "weight_cents": 50000,
    #   "windows": [6, 12, 24]}, ...] — counted contracts only.
    counted = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=_score_in_range("old_score"), name="jss_change_old_in_range"
            ),
            models.CheckConstraint(
                condition=_score_in_range("new_score"), name="jss_change_new_in_range"
            ),
            models.CheckConstraint(
                condition=Q(reason__in=JssReason.values), name="jss_change_reason_known"
            ),
        ]
        indexes = [models.Index(fields=["freelancer", "-at", "-id"], name="jss_change_latest")]

    def __str__(self) -> str:
        return f"JSS of user {self.freelancer_id}: {self.old_score} -> {self.new_score}"
