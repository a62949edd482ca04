"""The feedback emails, delivered by the outbox: both sides invited when a contract ends,
the other side nudged by a first submission, each side told when feedback about them is
revealed. None carries feedback, so never the client's private part."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from openlance.core import clock
from openlance.core.models import OutboxEvent
from openlance.core.services import outbox_drain
from openlance.reviews.models import FeedbackWindow
from openlance.reviews.services import feedback_reveal_run_due
from openlance.reviews.tests.factories import end, feedback, running_contract

pytestmark = pytest.mark.django_db

PRIVATE_WORDS = ("quality_not_as_expected", "Quality was not as expected", "recommend", "2 of 10")


def delivered(now=None) -> list:
    outbox_drain(now=now or clock.now())
    sent = list(mail.outbox)
    mail.outbox.clear()
    return sent


def test_a_contract_ending_opens_the_window_and_invites_both_sides():
    contract = running_contract()
    delivered()
    contract = end(contract)  # the factory delivers the events, as the worker would
    window = FeedbackWindow.objects.get(contract=contract)
    assert window.closes_at == contract.ended_at + timedelta(days=14)
    invited = {message.to[0]: message for message in delivered()}
    assert set(invited) == {contract.client.email, contract.freelancer.email}
    link = f"{settings.SITE_URL}{reverse('contract_feedback', args=[contract.pk])}"
    for message in invited.values():
        assert "Leave feedback" in message.subject
        assert link in message.body
        assert f"{window.closes_at:%B %-d, %Y}" in message.body
    assert FeedbackWindow.objects.count() == 1


def test_a_first_submission_nudges_the_other_side_once():
    contract = end(running_contract())
    mail.outbox.clear()
    feedback(
        contract,
        by=contract.client,
        end_reason="quality_not_as_expected",
        recommend=2,
        text="Disappointing work.",
    )
    nudged = delivered()
    assert [m.to[0] for m in nudged] == [contract.freelancer.email]
    body = nudged[0].subject + nudged[0].body
    assert "left feedback" in body
    for secret in (*PRIVATE_WORDS, "Disappointing work."):
        assert secret not in body
    feedback(
        contract,
        by=contract.client,
        end_reason="quality_not_as_expected",
        recommend=2,
        text="Edited.",
    )
    assert delivered() == []


def test_the_reveal_tells_each_side_without_the_feedback_itself():
    contract = end(running_contract())
    feedback(
        contract,
        by=contract.client,
        end_reason="quality_not_as_expected",
        recommend=2,
        text="Disappointing work.",
    )
    delivered()
    feedback(contract, by=contract.freelancer, text="Vague brief.")
    sent = delivered()
    assert {m.to[0] for m in sent} == {contract.client.email, contract.freelancer.email}
    to_freelancer = next(m for m in sent if m.to[0] == contract.freelancer.email)
    assert "revealed" in to_freelancer.subject
    for secret in (*PRIVATE_WORDS, "Disappointing work."):
        assert secret not in to_freelancer.subject + to_freelancer.body


def test_a_window_closing_without_feedback_sends_nothing():
    contract = end(running_contract())
    mail.outbox.clear()
    later = contract.ended_at + timedelta(days=14)
    feedback_reveal_run_due(now=later)
    assert delivered(now=later) == []


def test_no_invitation_once_the_window_has_closed():
    """A worker that was down for two weeks does not invite anyone to a closed window."""
    contract = end(running_contract())
    mail.outbox.clear()
    window = FeedbackWindow.objects.get(contract=contract)
    event = OutboxEvent.objects.filter(kind="contract.ended").latest("id")
    OutboxEvent.objects.filter(pk=event.pk).update(processed_at=None, handlers_done=[])
    with clock.frozen_at(window.closes_at):
        outbox_drain(now=window.closes_at)
    assert mail.outbox == []
