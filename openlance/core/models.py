from __future__ import annotations

from django.conf import settings
from django.db import models


class PolicyKind(models.TextChoices):
    FEES = "fees", "Fees"
    CONNECTS = "connects", "Connects"
    JSS = "jss", "Job Success Score"
    RANKING = "ranking", "Search ranking"


class Policy(models.Model):
    """One version of an operator-changeable rule. Versions are never edited: a change is a
    new row with a later effective_from, so any past number can be recomputed."""

    kind = models.CharField(max_length=32, choices=PolicyKind.choices)
    label = models.CharField(max_length=64)
    effective_from = models.DateTimeField()
    params = models.JSONField()
    note = models.TextField(blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["kind", "-effective_from"]
        verbose_name_plural = "policies"
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "effective_from"], name="policy_one_per_instant"
            ),
        ]
        indexes = [models.Index(fields=["kind", "effective_from"], name="policy_kind_from")]

    def __str__(self) -> str:
        return f"{self.kind} {self.label} (from {self.effective_from:%Y-%m-%d})"


class OutboxEvent(models.Model):
    """A fact written in the same transaction as the change it describes; the worker
    delivers it to the handlers of higher layers (notifications, reputation...)."""

    kind = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # A failed event waits longer after each attempt, so a broken one does not crowd out
    # the newer events behind it; after too many it is set aside for an operator.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    dead_at = models.DateTimeField(null=True, blank=True)
    # The handlers that already succeeded; a retry runs only the others, so an email
    # sent on the first attempt is not sent again because a sibling handler failed.
    handlers_done = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["processed_at", "id"], name="outbox_pending")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class IdempotencyRecord(models.Model):
    """The first response to a POST carrying an Idempotency-Key, kept in the database so a
    retry that lands on another process still replays it."""

    scope = models.CharField(max_length=96)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.BinaryField(default=b"")
    content_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="idempotency_scope_key"),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class NotificationTopic(models.TextChoices):
    """What a notification is about. Money, account and dispute notices always reach the
    inbox as well as the site; a person may turn the email of the others off."""

    MONEY = "money", "Payments, invoices and payouts"
    ACCOUNT = "account", "Account and verification"
    DISPUTES = "disputes", "Disputes"
    CONTRACTS = "contracts", "Offers, contracts and milestones"
    HOURLY = "hourly", "Hourly work and timesheets"
    PROPOSALS = "proposals", "Proposals and invitations"
    JOBS = "jobs", "Your job posts"
    MESSAGES = "messages", "Messages"
    FEEDBACK = "feedback", "Feedback"


ESSENTIAL_TOPICS = frozenset(
    {NotificationTopic.MONEY, NotificationTopic.ACCOUNT, NotificationTopic.DISPUTES}
)


class Notification(models.Model):
    """Something a person should know or act on, in the site's notification centre: what
    the email said, with the page to act on. Written with the email, by `notify`."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    topic = models.CharField(max_length=16, choices=NotificationTopic.choices)
    title = models.CharField(max_length=200)
    body = models.TextField()
    path = models.CharField(max_length=500)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notification_unread"),
            models.Index(fields=["user", "-created_at"], name="notification_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.title} for {self.user_id}"


class EmailOptOut(models.Model):
    """A topic whose emails a person turned off (they still see it on the site). Essential
    topics cannot be turned off."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_opt_outs"
    )
    topic = models.CharField(max_length=16, choices=NotificationTopic.choices)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "topic"], name="email_opt_out_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} opted out of {self.topic} emails"
