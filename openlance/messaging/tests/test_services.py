from __future__ import annotations

from datetime import UTC, datetime

import pytest

from openlance.accounts.tests.factories import freelancer_user
from openlance.core.clock import frozen_at
from openlance.core.errors import InvalidInput, NotFound
from openlance.core.models import OutboxEvent
from openlance.messaging.models import Conversation, ConversationMember, Message, MessageAttachment
from openlance.messaging.selectors import (
    conversation_by_topic,
    conversation_for,
    conversations_for,
    unread_total,
)
from openlance.messaging.services import (
    MAX_ATTACHMENT_BYTES,
    conversation_open,
    conversation_read,
    message_send,
)
from openlance.messaging.tests.factories import conversation, pdf_upload, png_upload

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _members(c: Conversation) -> list:
    return [m.user for m in c.memberships.order_by("id")]


def _nothing_written(c: Conversation) -> None:
    assert Message.objects.count() == 0
    assert MessageAttachment.objects.count() == 0
    assert not OutboxEvent.objects.filter(kind="message.sent").exists()
    c.refresh_from_db()
    assert c.last_message_at is None
    assert set(c.memberships.values_list("unread_count", flat=True)) == {0}


def test_open_is_idempotent_by_topic_and_adds_members():
    first = conversation(topic="proposal:42")
    client, freelancer = _members(first)
    newcomer = freelancer_user()
    again = conversation_open(
        topic="proposal:42", title="Other title", members=[freelancer, newcomer]
    )
    assert again.pk == first.pk
    assert again.title == "Logo design"
    assert _members(again) == [client, freelancer, newcomer]
    assert conversation_by_topic(topic="proposal:42") == first
    assert conversation_by_topic(topic="proposal:43") is None


@pytest.mark.parametrize(
    ("topic", "title", "field"),
    [("", "Title", "topic"), ("x" * 65, "Title", "topic"), ("t:1", "   ", "title")],
)
def test_open_refuses_bad_input(topic, title, field):
    with pytest.raises(InvalidInput) as exc:
        conversation_open(topic=topic, title=title, members=[freelancer_user()])
    assert field in exc.value.field_errors
    assert Conversation.objects.count() == 0


def test_send_updates_thread_read_state_and_emits_event():
    c = conversation()
    client, freelancer = _members(c)
    with frozen_at(NOON):
        message = message_send(conversation=c, sender=client, body="  Hello there  ")
    assert message.body == "Hello there"
    c.refresh_from_db()
    assert c.last_message_at == NOON
    mine = ConversationMember.objects.get(conversation=c, user=client)
    assert mine.unread_count == 0
    assert mine.last_read_at == NOON
    assert unread_total(user=freelancer) == 1
    assert unread_total(user=client) == 0
    event = OutboxEvent.objects.get(kind="message.sent")
    assert event.payload == {
        "conversation_id": c.pk,
        "topic": c.topic,
        "message_id": message.pk,
        "sender_id": client.pk,
    }


def test_non_member_cannot_send_and_nothing_is_written():
    c = conversation()
    with pytest.raises(NotFound):
        message_send(conversation=c, sender=freelancer_user(), body="Let me in")
    _nothing_written(c)


@pytest.mark.parametrize("body", ["", "   \n "])
def test_empty_body_without_attachments_is_refused(body):
    c = conversation()
    with pytest.raises(InvalidInput) as exc:
        message_send(conversation=c, sender=_members(c)[0], body=body)
    assert "body" in exc.value.field_errors
    _nothing_written(c)


def test_body_too_long_or_with_nul_is_refused():
    c = conversation()
    sender = _members(c)[0]
    for body in ["x" * 10_001, "a\x00b"]:
        with pytest.raises(InvalidInput):
            message_send(conversation=c, sender=sender, body=body)
    _nothing_written(c)


def test_attachments_alone_are_a_message_and_are_checked_by_content():
    c = conversation()
    message = message_send(
        conversation=c,
        sender=_members(c)[0],
        body="",
        attachments=[pdf_upload("Brief v2.pdf"), png_upload("mock.gif")],
    )
    pdf, image = message.attachments.order_by("id")
    assert (pdf.name, pdf.content_type) == ("Brief v2.pdf", "application/pdf")
    assert pdf.file.read().startswith(b"%PDF-")
    # Named .gif but really a PNG: the name follows what the file is.
    assert (image.name, image.content_type) == ("mock.jpg", "image/jpeg")
    assert image.size == image.file.size


def test_attachment_of_wrong_type_refuses_whole_message(settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = conversation()
    fake = SimpleUploadedFile(
        "invoice.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf"
    )
    with pytest.raises(InvalidInput) as exc:
        message_send(
            conversation=c,
            sender=_members(c)[0],
            body="See files",
            attachments=[pdf_upload(), fake],
        )
    assert "attachments" in exc.value.field_errors
    _nothing_written(c)
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_attachment_too_big_or_too_many_is_refused():
    c = conversation()
    sender = _members(c)[0]
    with pytest.raises(InvalidInput):
        message_send(
            conversation=c,
            sender=sender,
            body="big",
            attachments=[pdf_upload(size=MAX_ATTACHMENT_BYTES)],
        )
    with pytest.raises(InvalidInput):
        message_send(
            conversation=c, sender=sender, body="many", attachments=[pdf_upload() for _ in range(6)]
        )
    _nothing_written(c)


def test_read_state_and_unread_counts_per_conversation():
    first = conversation()
    client, freelancer = _members(first)
    second = conversation(client, freelancer)
    with frozen_at(NOON):
        message_send(conversation=first, sender=client, body="One")
        message_send(conversation=first, sender=client, body="Two")
    with frozen_at(NOON.replace(hour=13)):
        message_send(conversation=second, sender=client, body="Three")
    assert unread_total(user=freelancer) == 3
    listed = list(conversations_for(user=freelancer))
    assert [c.pk for c in listed] == [second.pk, first.pk]
    assert [c.unread for c in listed] == [1, 2]
    assert listed[1].last_body == "Two"

    with frozen_at(NOON.replace(hour=14)):
        conversation_read(conversation=first, user=freelancer)
    assert unread_total(user=freelancer) == 1
    assert conversation_for(user=freelancer, conversation_id=first.pk).unread == 0
    member = ConversationMember.objects.get(conversation=first, user=freelancer)
    assert member.last_read_at == NOON.replace(hour=14)


def test_conversations_are_scoped_to_members():
    c = conversation()
    outsider = freelancer_user()
    assert list(conversations_for(user=outsider)) == []
    with pytest.raises(NotFound):
        conversation_for(user=outsider, conversation_id=c.pk)
    with pytest.raises(NotFound):
        conversation_for(user=outsider, conversation_id=0)
    with pytest.raises(NotFound):
        conversation_read(conversation=c, user=outsider)
