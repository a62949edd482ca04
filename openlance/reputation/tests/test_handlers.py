"""Each event that changes an input recomputes the scores it touches, as the outbox worker
delivers it: a reveal (also the one at the window's deadline), a contract's end, a refund,
a client flagged or cleared by a mediator, and a decided dispute."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db import transaction

from openlance.accounts.tests.factories import UserFactory
from openlance.contracts.models import Contract, DisputeDecision
from openlance.core import clock
from openlance.core.services import event_emit
from openlance.jobs.tests.factories import job_client
from openlance.reputation.models import JssChange, JssReason, JssScore
from openlance.reputation.tests.factories import deliver, funded_freelancer, rated_contract
from openlance.reviews.services import (
    client_feedback_flag,
    client_feedback_unflag,
    feedback_reveal_run_due,
)
from openlance.reviews.tests.factories import ended_contract, feedback

pytestmark = pytest.mark.django_db


def score(freelancer) -> int | None:
    return JssScore.objects.get(freelancer=freelancer).score


def last_reason(freelancer) -> tuple[str, int | None]:
    change = JssChange.objects.filter(freelancer=freelancer).order_by("at", "id").last()
    assert change is not None
    return change.reason, change.contract_id


def test_the_reveal_at_the_deadline_recomputes():
    freelancer = funded_freelancer()
    rated_contract(freelancer)
    contract = ended_contract(freelancer=freelancer, paid_cents=20_000)
    feedback(contract, by=contract.client, recommend=0, end_reason="quality_not_as_expected")
    deliver()
    # Submitted but not revealed: it does not count yet, and nothing leaks.
    assert score(freelancer) is None
    with time_machine.travel(contract.ended_at + timedelta(days=14), tick=False):
        assert feedback_reveal_run_due(now=clock.now()) == 1
        deliver()
    assert score(freelancer) == 71  # 500 of 700 dollars positive
    assert last_reason(freelancer) == (JssReason.FEEDBACK_REVEALED, contract.pk)


def test_a_flagged_clients_feedback_stops_counting_and_counts_again_when_cleared():
    mediator = UserFactory(is_staff=True)
    mediator.groups.add(Group.objects.get(name="Mediator"))
    harsh = job_client()
    freelancer = funded_freelancer()
    rated_contract(freelancer)
    rated_contract(freelancer, paid_cents=50_000)
    rated_contract(freelancer, client=harsh, paid_cents=50_000, recommend=0)
    assert score(freelancer) == 67
    client_feedback_flag(staff=mediator, client=harsh, reason="Unfounded, again.")
    deliver()
    assert score(freelancer) == 100
    reason, contract_id = last_reason(freelancer)
    assert (reason, contract_id) == (JssReason.CLIENT_FLAGGED, None)
    change = JssChange.objects.filter(freelancer=freelancer).order_by("at", "id").last()
    assert change is not None
    assert change.reason_ref["client_id"] == harsh.pk
    client_feedback_unflag(staff=mediator, client=harsh, reason="Reviewed again.")
    deliver()
    assert score(freelancer) == 67
    assert last_reason(freelancer)[0] == JssReason.CLIENT_UNFLAGGED


def test_a_dispute_decided_against_the_freelancer_recomputes_on_its_event():
    freelancer = funded_freelancer()
    rated_contract(freelancer)
    disputed = rated_contract(freelancer)
    assert score(freelancer) == 100
    # What the disputes feature will do: record the decision and say so.
    Contract.objects.filter(pk=disputed.pk).update(
        dispute_decision=DisputeDecision.AGAINST_FREELANCER
    )
    with transaction.atomic():
        event_emit(kind="dispute.decided", payload={"contract_id": disputed.pk})
    deliver()
    assert score(freelancer) == 50
    assert last_reason(freelancer) == (JssReason.DISPUTE_DECIDED, disputed.pk)


def test_a_repeated_event_changes_nothing():
    freelancer = funded_freelancer()
    contract = rated_contract(freelancer)
    before = JssChange.objects.count()
    with transaction.atomic():
        event_emit(
            kind="feedback.revealed",
            payload={"contract_id": contract.pk, "freelancer_id": freelancer.pk},
        )
    deliver()
    assert JssChange.objects.count() == before
