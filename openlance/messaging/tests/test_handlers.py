from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.core.clock import frozen_at
from openlance.core.services import outbox_drain
from openlance.messaging.services import conversation_read, message_send
from openlance.messaging.tests.factories import conversation, pdf_upload

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _at(minutes: int) -> datetime:
    return START + timedelta(minutes=minutes)


def test_one_email_per_unread_streak():
    owner, freelancer = client_user(), freelancer_user()
    c = conversation(owner, freelancer, title="Bakery logo")
    with frozen_at(_at(0)):
        message_send(conversation=c, sender=owner, body="Are you free for a call?")
        message_send(conversation=c, sender=owner, body="Tomorrow at ten?")
        outbox_drain(now=_at(0))
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == [freelancer.email]
    assert "Bakery logo" in sent.subject
    assert owner.public_name in sent.subject
    assert "Are you free for a call?" in sent.body
    assert f"/messages/{c.pk}/" in sent.body

    with frozen_at(_at(5)):
        conversation_read(conversation=c, user=freelancer)
    with frozen_at(_at(6)):
        message_send(conversation=c, sender=owner, body="", attachments=[pdf_upload()])
        outbox_drain(now=_at(6))
    assert len(mail.outbox) == 2
    assert "(attachments)" in mail.outbox[1].body


def test_no_email_when_already_read_or_to_the_sender():
    owner, freelancer = client_user(), freelancer_user()
    c = conversation(owner, freelancer)
    with frozen_at(_at(0)):
        message_send(conversation=c, sender=owner, body="Hello")
    with frozen_at(_at(1)):
        conversation_read(conversation=c, user=freelancer)
        outbox_drain(now=_at(1))
    assert mail.outbox == []
