"""The reveal when the window closes (SPEC §17): exactly 14 days after the contract ended,
with a frozen clock; safe to run twice; by the periodic task and by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from openlance.core import clock
from openlance.core.errors import Conflict
from openlance.core.models import OutboxEvent
from openlance.reviews.models import Feedback, FeedbackWindow, RevealReason
from openlance.reviews.services import feedback_reveal_run_due
from openlance.reviews.tasks import feedback_reveal_periodic
from openlance.reviews.tests.factories import ended_contract, feedback

pytestmark = pytest.mark.django_db

ENDED = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def in_window():
    return time_machine.travel(ENDED + timedelta(days=1), tick=False)


def revealed_events() -> list[dict]:
    return [e.payload for e in OutboxEvent.objects.filter(kind="feedback.revealed")]


@pytest.fixture
def contract():
    with time_machine.travel(ENDED, tick=False):
        contract = ended_contract()
    assert contract.ended_at == ENDED
    return contract


def test_the_window_closes_exactly_14_days_after_the_end(contract):
    closes = ENDED + timedelta(days=14)
    with time_machine.travel(closes - timedelta(seconds=1), tick=False):
        feedback(contract, by=contract.client, end_reason="completed", recommend=9)
        assert feedback_reveal_run_due(now=clock.now()) == 0
        assert FeedbackWindow.objects.get(contract=contract).revealed_at is None
        assert revealed_events() == []
    with time_machine.travel(closes, tick=False):
        with pytest.raises(Conflict, match="window closed"):
            feedback(contract, by=contract.freelancer)
        assert feedback_reveal_run_due(now=clock.now()) == 1
    window = FeedbackWindow.objects.get(contract=contract)
    assert window.revealed_at == closes
    assert window.reveal_reason == RevealReason.WINDOW_CLOSED
    assert list(Feedback.objects.values_list("revealed_at", flat=True)) == [closes]
    assert revealed_events() == [
        {
            "contract_id": contract.pk,
            "freelancer_id": contract.freelancer_id,
            "client_id": contract.client_id,
            "reason": "window_closed",
            "directions": ["client_to_freelancer"],
        }
    ]
    with in_window(), pytest.raises(Conflict, match="revealed"):
        feedback(contract, by=contract.client, text="Too late to change.")


def test_running_twice_reveals_once(contract):
    with in_window():
        feedback(contract, by=contract.freelancer)
    late = ENDED + timedelta(days=20)
    assert feedback_reveal_run_due(now=late) == 1
    assert feedback_reveal_run_due(now=late) == 0
    assert feedback_reveal_run_due(now=late + timedelta(days=1)) == 0
    assert len(revealed_events()) == 1
    # Recorded at the deadline, the moment the rule revealed it, however late the run.
    assert FeedbackWindow.objects.get().revealed_at == ENDED + timedelta(days=14)


def test_a_window_without_feedback_closes_too(contract):
    assert FeedbackWindow.objects.filter(contract=contract).exists()  # the contract.ended handler
    assert feedback_reveal_run_due(now=ENDED + timedelta(days=14)) == 1
    assert revealed_events()[0]["directions"] == []


def test_windows_revealed_when_both_submitted_are_left_alone(contract):
    with in_window():
        feedback(contract, by=contract.client)
        feedback(contract, by=contract.freelancer)
    assert feedback_reveal_run_due(now=ENDED + timedelta(days=30)) == 0
    assert FeedbackWindow.objects.get().reveal_reason == RevealReason.BOTH_SUBMITTED
    assert len(revealed_events()) == 1


def test_the_periodic_task_and_the_command_run_the_rule(contract):
    with time_machine.travel(ENDED + timedelta(days=14, minutes=5), tick=False):
        feedback_reveal_periodic.call_local()
    assert FeedbackWindow.objects.get().revealed_at is not None
    other = ended_contract()
    out = StringIO()
    after = other.ended_at + timedelta(days=15)
    call_command("reviews_run_due", now=after.isoformat(), stdout=out)
    assert "1 feedback window(s) closed and revealed." in out.getvalue()
    call_command("reviews_run_due", now=after.isoformat(), stdout=out)
    assert "0 feedback window(s)" in out.getvalue()
