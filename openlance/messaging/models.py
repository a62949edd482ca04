"""Conversations between the people of a proposal or a contract (SPEC §14)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

MAX_BODY_LENGTH = 10_000
MAX_ATTACHMENTS = 5
MAX_TOPIC_LENGTH = 64
MAX_TITLE_LENGTH = 200


class Conversation(models.Model):
    # Who opened it and why, e.g. "proposal:42" or "contract:7": one conversation per topic.
    topic = models.CharField(max_length=MAX_TOPIC_LENGTH, unique=True)
    title = models.CharField(max_length=MAX_TITLE_LENGTH)
    created_at = models.DateTimeField()
    last_message_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_message_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def topic_kind(self) -> str:
        """What the conversation is about ("contract" for "contract:7")."""
        return self.topic.partition(":")[0]

    @property
    def topic_object_id(self) -> int | None:
        """The id of what it is about (7 for "contract:7"), when the topic names one."""
        tail = self.topic.partition(":")[2]
        return int(tail) if tail.isdigit() else None


class ConversationMember(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversation_memberships"
    )
    joined_at = models.DateTimeField()
    last_read_at = models.DateTimeField(null=True, blank=True)
    # Kept by the services (raised on each message from someone else, cleared on reading) so
    # the header's unread total is one indexed sum, not a count over every thread.
    unread_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "user"], name="messaging_member_once_per_conversation"
            ),
        ]
        indexes = [models.Index(fields=["user", "conversation"], name="messaging_member_user")]

    def __str__(self) -> str:
        return f"User {self.user_id} in conversation {self.conversation_id}"


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="messages_sent"
    )
    body = models.TextField(max_length=MAX_BODY_LENGTH, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["conversation", "id"], name="messaging_message_thread"),
        ]

    def __str__(self) -> str:
        return f"Message {self.pk} in conversation {self.conversation_id}"


class MessageAttachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="messages/%Y/%m/")
    name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=100)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name
