"""The Job Success Score as stored (SPEC §11): each freelancer's current score and the
policy version it was computed under, and a history row for every change with its reason
and the windows' scores it made (the explanation page and the API compute the current
windows again, by the same function). The numbers are computed by `jss.jss_compute` from
contracts, payments and feedback (`services.jss_recompute`); nothing here is ever entered
by hand. Profiles keep a copy of the score (`Freelancer.jss_percent`) for search, written
through `profiles.services.freelancer_score_record`.

The badges (SPEC §12) beside it: weekly snapshots of the score, the account holds staff
place, each freelancer's current badges and a history row for every badge earned or lost
with its reason (`services.badges_recompute`, `badges_run_due`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from openlance.core.models import Policy
from openlance.profiles.badges import Badge

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
    # What the badges read of the same computation: contracts with a negative outcome (any,
    # aged out too) and when the first contract started. Null until a computation after
    # badges arrived stored them; the badges then compute them from the contracts.
    negative_outcomes = models.PositiveIntegerField(null=True, blank=True)
    first_contract_at = models.DateTimeField(null=True, blank=True)

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


class JssSnapshot(models.Model):
    """A freelancer's stored score as it stood in a week (SPEC §12: Top Rated needs 90% in
    13 of the last 16), kept under the week's Monday (UTC) by `jss_snapshots_run_due`;
    `score` None is "no score yet" then."""

    freelancer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="jss_snapshots"
    )
    week_start = models.DateField()
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    taken_at = models.DateTimeField()

    class Meta:
        ordering = ["-week_start", "freelancer_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["freelancer", "week_start"], name="jss_snapshot_one_a_week"
            ),
            models.CheckConstraint(
                condition=_score_in_range("score"), name="jss_snapshot_score_in_range"
            ),
        ]
        indexes = [models.Index(fields=["week_start"], name="jss_snapshot_week")]

    def __str__(self) -> str:
        return f"JSS of user {self.freelancer_id} in the week of {self.week_start}"


class AccountHold(models.Model):
    """A hold a mediator places on an account (SPEC §12, §15): while it is open the freelancer
    cannot hold Top Rated (nor, so, Top Rated Plus). Placed and lifted only through
    `services.account_hold_place` / `account_hold_lift`, with a reason, audited; at most one
    open hold an account."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="account_holds"
    )
    reason = models.TextField(max_length=2000)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    placed_at = models.DateTimeField()
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_reason = models.TextField(max_length=2000, blank=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(lifted_at__isnull=True),
                name="account_hold_one_open",
            ),
            models.CheckConstraint(
                condition=Q(lifted_at__isnull=True, lifted_by__isnull=True)
                | Q(lifted_at__isnull=False, lifted_by__isnull=False),
                name="account_hold_lifted_by_someone",
            ),
        ]

    def __str__(self) -> str:
        state = "lifted" if self.lifted_at else "open"
        return f"Hold on user {self.user_id} ({state})"

    @property
    def is_open(self) -> bool:
        return self.lifted_at is None


class BadgeStatus(models.Model):
    """The badges a freelancer holds now, as last computed (`computed_at`); copied onto
    their profiles through `profiles.services.freelancer_badges_record`. Rising Talent needs
    no score and Top Rated a high one, so the two never go together; Top Rated Plus needs
    Top Rated."""

    freelancer = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="badge_status"
    )
    rising_talent = models.BooleanField(default=False)
    top_rated = models.BooleanField(default=False)
    top_rated_plus = models.BooleanField(default=False)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = "badges of a freelancer"
        verbose_name_plural = "badges of freelancers"
        constraints = [
            models.CheckConstraint(
                condition=Q(top_rated_plus=False) | Q(top_rated=True),
                name="badge_plus_needs_top_rated",
            ),
            models.CheckConstraint(
                condition=Q(rising_talent=False) | Q(top_rated=False),
                name="badge_rising_or_top_rated",
            ),
        ]

    def __str__(self) -> str:
        names = ", ".join(badge.label for badge in self.held) or "no badge"
        return f"Badges of user {self.freelancer_id}: {names}"

    @property
    def held(self) -> list[Badge]:
        return [badge for badge in Badge if getattr(self, badge.value)]


class BadgeReason(models.TextChoices):
    """What made the badges be computed again."""

    DAILY = "badges.daily", "The daily check"
    JSS_CHANGED = "jss.changed", "The Job Success Score changed"
    HOLD_PLACED = "hold.placed", "A hold was placed on the account"
    HOLD_LIFTED = "hold.lifted", "The hold on the account was lifted"
    MANUAL = "badges.manual", "Recomputed by an operator"


class BadgeChange(models.Model):
    """A badge earned or lost, when and why: the reason the badges were computed, and for a
    badge lost the criteria it no longer met (`CriterionKey` values)."""

    freelancer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="badge_changes"
    )
    badge = models.CharField(max_length=20, choices=Badge.choices)
    earned = models.BooleanField()
    at = models.DateTimeField()
    reason = models.CharField(max_length=20, choices=BadgeReason.choices)
    unmet = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(badge__in=Badge.values), name="badge_change_known"),
            models.CheckConstraint(
                condition=Q(reason__in=BadgeReason.values), name="badge_change_reason_known"
            ),
        ]
        indexes = [models.Index(fields=["freelancer", "-at", "-id"], name="badge_change_latest")]

    def __str__(self) -> str:
        return f"{'Earned' if self.earned else 'Lost'} {self.badge} (user {self.freelancer_id})"
