"""Leaving feedback: who may, when, what is checked, editing until the reveal, the reveal
when both sides have submitted, and that a refusal changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openlance.accounts.tests.factories import client_user
from openlance.core import clock
from openlance.core.errors import Conflict, InvalidInput, NotFound
from openlance.core.models import OutboxEvent
from openlance.reviews.models import (
    ATTRIBUTE_NAMES,
    FEEDBACK_WINDOW,
    Feedback,
    FeedbackDirection,
    FeedbackWindow,
    RevealReason,
    overall_hundredths,
)
from openlance.reviews.services import feedback_window_open
from openlance.reviews.tests.factories import ended_contract, feedback, running_contract

pytestmark = pytest.mark.django_db


def rows() -> list[tuple]:
    return list(Feedback.objects.order_by("pk").values_list())


def test_the_overall_is_the_mean_of_the_six_in_hundredths():
    assert overall_hundredths(30) == 500
    assert overall_hundredths(6) == 100
    assert overall_hundredths(25) == 417  # 4.1666…
    assert overall_hundredths(26) == 433  # 4.3333…
    for total in range(6, 31):
        assert abs(6 * overall_hundredths(total) - 100 * total) <= 2


def test_each_side_leaves_feedback_on_the_other():
    contract = ended_contract()
    mine = feedback(
        contract, by=contract.client, quality=4, deadlines=1, recommend=9, end_reason="completed"
    )
    assert mine.direction == FeedbackDirection.CLIENT_TO_FREELANCER
    assert (mine.author, mine.recipient) == (contract.client, contract.freelancer)
    assert mine.overall_hundredths == 417  # 25 / 6
    assert str(mine.overall) == "4.17"
    assert sum(getattr(mine, name) for name in ATTRIBUTE_NAMES) == 25
    assert (mine.end_reason, mine.recommend) == ("completed", 9)
    assert mine.counts is True
    assert mine.revealed_at is None
    theirs = feedback(contract, by=contract.freelancer, communication=2)
    assert theirs.direction == FeedbackDirection.FREELANCER_TO_CLIENT
    assert theirs.recipient == contract.client


def test_the_first_feedback_opens_the_window_when_the_handler_has_not():
    contract = ended_contract()
    FeedbackWindow.objects.all().delete()
    feedback(contract, by=contract.freelancer)
    window = FeedbackWindow.objects.get(contract=contract)
    assert window.opens_at == contract.ended_at
    assert window.closes_at == contract.ended_at + FEEDBACK_WINDOW
    assert feedback_window_open(contract=contract) == window


def test_editing_until_revealed_then_frozen():
    contract = ended_contract()
    first = feedback(contract, by=contract.client, text="Good.", skills=3)
    edited = feedback(contract, by=contract.client, text="Very good.", skills=4)
    assert edited.pk == first.pk
    assert Feedback.objects.count() == 1
    edited.refresh_from_db()
    assert (edited.text, edited.skills) == ("Very good.", 4)
    assert edited.updated_at >= edited.submitted_at
    feedback(contract, by=contract.freelancer)
    before = rows()
    for user in (contract.client, contract.freelancer):
        with pytest.raises(Conflict, match="revealed"):
            feedback(contract, by=user, text="Changed my mind.")
    assert rows() == before


def test_both_submitted_reveals_at_once():
    contract = ended_contract()
    feedback(contract, by=contract.client)
    assert not OutboxEvent.objects.filter(kind="feedback.revealed").exists()
    feedback(contract, by=contract.freelancer)
    window = FeedbackWindow.objects.get(contract=contract)
    assert window.revealed_at is not None
    assert window.reveal_reason == RevealReason.BOTH_SUBMITTED
    assert Feedback.objects.filter(revealed_at=window.revealed_at).count() == 2
    event = OutboxEvent.objects.get(kind="feedback.revealed")
    assert event.payload["contract_id"] == contract.pk
    assert event.payload["client_id"] == contract.client_id
    assert event.payload["freelancer_id"] == contract.freelancer_id
    assert event.payload["reason"] == "both_submitted"


def test_strangers_get_a_404_and_a_running_contract_a_409():
    contract = ended_contract()
    with pytest.raises(NotFound):
        feedback(contract, by=client_user())
    running = running_contract()
    with pytest.raises(Conflict, match="when the contract ends"):
        feedback(running, by=running.client)
    assert rows() == []
    assert not FeedbackWindow.objects.filter(contract=running).exists()


def test_the_window_is_14_days_from_the_end():
    contract = ended_contract()
    closes = contract.ended_at + timedelta(days=14)
    with clock.frozen_at(closes - timedelta(seconds=1)):
        feedback(contract, by=contract.client)
    with clock.frozen_at(closes), pytest.raises(Conflict, match="window closed"):
        feedback(contract, by=contract.freelancer)
    assert Feedback.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"skills": 0}, {"skills"}),
        ({"quality": 6, "cooperation": -1}, {"quality", "cooperation"}),
        ({"availability": True}, {"availability"}),
        ({"text": "   "}, {"text"}),
        ({"text": "x" * 5001}, {"text"}),
        ({"text": "a\x00b"}, {"text"}),
        ({"end_reason": "completed"}, {"recommend"}),
        ({"recommend": 7}, {"end_reason"}),
        ({"end_reason": "bored", "recommend": 11}, {"end_reason", "recommend"}),
    ],
)
def test_bad_input_is_a_422_that_lists_the_fields_and_changes_nothing(changes, fields):
    contract = ended_contract()
    feedback(contract, by=contract.client, text="Kept as it was.")
    before = rows()
    events = OutboxEvent.objects.count()
    with pytest.raises(InvalidInput) as refused:
        feedback(contract, by=contract.client, **changes)
    assert set(refused.value.field_errors) == fields
    assert rows() == before
    assert OutboxEvent.objects.count() == events


def test_the_freelancer_leaves_no_private_feedback():
    contract = ended_contract()
    with pytest.raises(InvalidInput) as refused:
        feedback(contract, by=contract.freelancer, end_reason="completed", recommend=10)
    assert set(refused.value.field_errors) == {"private"}
    assert rows() == []


def test_the_private_part_is_optional_and_whole():
    contract = ended_contract()
    mine = feedback(contract, by=contract.client)
    assert (mine.end_reason, mine.recommend) == ("", None)
    again = feedback(contract, by=contract.client, end_reason="other", recommend=0)
    assert (again.end_reason, again.recommend) == ("other", 0)


def test_input_is_judged_first_then_everything_else_under_the_window_lock():
    running = running_contract()
    with pytest.raises(InvalidInput):
        feedback(running, by=running.client, skills=9)
    contract = ended_contract()
    feedback(contract, by=contract.client)
    with CaptureQueriesContext(connection) as queries:
        feedback(contract, by=contract.freelancer)
    window_reads = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith("SELECT") and '"reviews_feedbackwindow"' in q["sql"]
    ]
    assert len(window_reads) == 1  # opened-or-read and locked in one
    event = OutboxEvent.objects.get(kind="feedback.revealed")
    assert event.payload["directions"] == ["client_to_freelancer", "freelancer_to_client"]
