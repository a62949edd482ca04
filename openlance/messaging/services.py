"""Writes of the messaging feature. Conversations are opened only by other features (a
proposal's interview, a contract), never by one person reaching out to anyone they like."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F

from openlance.accounts.models import User
from openlance.core import clock
from openlance.core.errors import InvalidInput, NotFound
from openlance.core.services import event_emit
from openlance.core.uploads import MEGABYTE, Document, checked_attachment
from openlance.messaging.models import (
    MAX_ATTACHMENTS,
    MAX_BODY_LENGTH,
    MAX_TITLE_LENGTH,
    MAX_TOPIC_LENGTH,
    Conversation,
    ConversationMember,
    Message,
    MessageAttachment,
)

MAX_ATTACHMENT_BYTES = 10 * MEGABYTE


def conversation_open(*, topic: str, title: str, members: Sequence[User]) -> Conversation:
    """The conversation about `topic`, created on first use; calling again adds any new
    members and leaves everything else as it was."""
    topic = topic.strip()
    title = " ".join(title.split())[:MAX_TITLE_LENGTH]
    if not topic or len(topic) > MAX_TOPIC_LENGTH:
        raise InvalidInput(
            "A conversation needs a topic.",
            field_errors={"topic": [f"Required, at most {MAX_TOPIC_LENGTH} characters."]},
        )
    if not title:
        raise InvalidInput("A conversation needs a title.", field_errors={"title": ["Required."]})
    if not members:
        raise InvalidInput(
            "A conversation needs members.", field_errors={"members": ["At least one."]}
        )
    now = clock.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                conversation, _ = Conversation.objects.get_or_create(
                    topic=topic, defaults={"title": title, "created_at": now}
                )
        except IntegrityError:
            # Another request opened the same topic between our read and our insert.
            conversation = Conversation.objects.get(topic=topic)
        present = set(conversation.memberships.values_list("user_id", flat=True))
        for user in members:
            if user.pk in present:
                continue
            ConversationMember.objects.create(conversation=conversation, user=user, joined_at=now)
            present.add(user.pk)
    return conversation


def _clean_attachments(attachments: Sequence[UploadedFile]) -> list[Document]:
    if len(attachments) > MAX_ATTACHMENTS:
        raise InvalidInput(
            f"A message has at most {MAX_ATTACHMENTS} attachments.",
            field_errors={"attachments": [f"At most {MAX_ATTACHMENTS} files."]},
        )
    return [
        checked_attachment(upload, field="attachments", max_bytes=MAX_ATTACHMENT_BYTES)
        for upload in attachments
    ]


def message_send(
    *,
    conversation: Conversation,
    sender: User,
    body: str,
    attachments: Sequence[UploadedFile] = (),
) -> Message:
    body = body.strip()
    if "\x00" in body:
        raise InvalidInput(
            "Text may not contain NUL characters.", field_errors={"body": ["Invalid character."]}
        )
    if len(body) > MAX_BODY_LENGTH:
        raise InvalidInput(
            f"A message is at most {MAX_BODY_LENGTH:,} characters.",
            field_errors={"body": [f"At most {MAX_BODY_LENGTH:,} characters."]},
        )
    if not body and not attachments:
        raise InvalidInput(
            "Write a message or attach a file.", field_errors={"body": ["Required."]}
        )
    if not ConversationMember.objects.filter(conversation=conversation, user=sender).exists():
        raise NotFound("No such conversation.")
    # Every file is judged before anything is written, so one bad file refuses the whole
    # message and nothing is kept.
    cleaned = _clean_attachments(attachments)
    now = clock.now()
    saved: list[MessageAttachment] = []
    try:
        with transaction.atomic():
            message = Message.objects.create(
                conversation=conversation, sender=sender, body=body, created_at=now
            )
            for document in cleaned:
                attachment = MessageAttachment(
                    message=message,
                    name=document.name,
                    size=document.size,
                    content_type=document.content_type,
                )
                attachment.file.save(
                    f"m{message.pk}-{document.content.name}", document.content, save=False
                )
                saved.append(attachment)
                attachment.save()
            Conversation.objects.filter(pk=conversation.pk).update(last_message_at=now)
            conversation.last_message_at = now
            memberships = ConversationMember.objects.filter(conversation=conversation)
            memberships.exclude(user=sender).update(unread_count=F("unread_count") + 1)
            memberships.filter(user=sender).update(last_read_at=now, unread_count=0)
            event_emit(
                kind="message.sent",
                payload={
                    "conversation_id": conversation.pk,
                    "topic": conversation.topic,
                    "message_id": message.pk,
                    "sender_id": sender.pk,
                },
            )
    except BaseException:
        for attachment in saved:
            attachment.file.delete(save=False)
        raise
    return message


def conversation_read(*, conversation: Conversation, user: User) -> None:
    """The member has seen everything in the conversation up to now."""
    updated = ConversationMember.objects.filter(conversation=conversation, user=user).update(
        last_read_at=clock.now(), unread_count=0
    )
    if not updated:
        raise NotFound("No such conversation.")
