"""Email for new messages, delivered by the outbox worker. One email per unread streak:
a member is written to about the first message they have not read, not about every one."""

from __future__ import annotations

from openlance.core.mail import notify
from openlance.core.models import NotificationTopic, OutboxEvent
from openlance.core.services import event_handler
from openlance.messaging.models import ConversationMember, Message
from openlance.messaging.selectors import snippet


@event_handler("message.sent")
def email_new_message(event: OutboxEvent) -> None:
    message = (
        Message.objects.select_related("conversation", "sender")
        .filter(pk=event.payload["message_id"])
        .first()
    )
    if message is None:
        return
    conversation = message.conversation
    members = (
        ConversationMember.objects.select_related("user")
        .filter(conversation=conversation, user__is_active=True)
        .exclude(user=message.sender)
    )
    for member in members:
        if member.last_read_at is not None and member.last_read_at >= message.created_at:
            continue
        unread_before = Message.objects.filter(
            conversation=conversation, id__lt=message.pk
        ).exclude(sender=member.user)
        if member.last_read_at is not None:
            unread_before = unread_before.filter(created_at__gt=member.last_read_at)
        if unread_before.exists():
            continue
        preview = snippet(message.body) or "(attachments)"
        notify(
            member.user,
            topic=NotificationTopic.MESSAGES,
            subject=f"New message from {message.sender.public_name}: {conversation.title}",
            body=f"{message.sender.public_name} wrote in “{conversation.title}”:\n\n{preview}",
            link_label="Read and reply",
            path=f"/messages/{conversation.pk}/",
        )
