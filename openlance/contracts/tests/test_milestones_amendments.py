"""Amendments: a new milestone proposed by one side joins the contract when the other
accepts; every refusal leaves the contract as it was."""

from __future__ import annotations

from datetime import timedelta

import pytest

from openlance.accounts.tests.factories import client_user
from openlance.contracts.amendments import (
    amendment_accept,
    amendment_decline,
    amendment_propose,
    amendment_withdraw,
)
from openlance.contracts.endings import contract_end
from openlance.contracts.milestones.release import milestone_cancel
from openlance.contracts.models import Amendment, AmendmentState, MilestoneState
from openlance.contracts.tests.factories import contract_fixed
from openlance.core import clock
from openlance.core.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from openlance.core.models import OutboxEvent
from openlance.core.money import Money

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("assert_ledger_sound")]


def state(contract) -> tuple:
    return (
        list(contract.milestones.values_list("pk", "position", "state").order_by("pk")),
        list(Amendment.objects.values_list("pk", "state").order_by("pk")),
    )


def test_a_proposed_milestone_joins_the_contract_when_the_other_side_accepts():
    contract = contract_fixed((50_000,))
    due = clock.now().date() + timedelta(days=10)
    amendment = amendment_propose(
        user=contract.client,
        contract=contract,
        description="  Extra   page ",
        amount=Money(12_000),
        due_date=due,
        criteria=["Responsive", " ", "Fast"],
        note="As discussed",
    )
    assert amendment.description == "Extra page"
    assert amendment.criteria == ["Responsive", "Fast"]
    assert OutboxEvent.objects.filter(kind="amendment.proposed").count() == 1
    amendment_accept(user=contract.freelancer, amendment=amendment)
    amendment.refresh_from_db()
    assert amendment.state == AmendmentState.ACCEPTED
    milestone = amendment.milestone
    assert milestone.position == 2
    assert milestone.amount_cents == 12_000
    assert milestone.due_date == due
    assert milestone.state == MilestoneState.NOT_FUNDED
    assert list(milestone.criteria.values_list("text", flat=True)) == ["Responsive", "Fast"]


def test_decline_and_withdraw_are_final_and_by_the_right_side():
    contract = contract_fixed((50_000,))
    declined = amendment_propose(
        user=contract.freelancer, contract=contract, description="A", amount=Money(1_000)
    )
    withdrawn = amendment_propose(
        user=contract.freelancer, contract=contract, description="B", amount=Money(1_000)
    )
    before = state(contract)
    with pytest.raises(Conflict):
        amendment_decline(user=contract.freelancer, amendment=declined)
    with pytest.raises(Conflict):
        amendment_withdraw(user=contract.client, amendment=withdrawn)
    with pytest.raises(NotFound):
        amendment_accept(user=client_user(), amendment=declined)
    assert state(contract) == before
    amendment_decline(user=contract.client, amendment=declined)
    amendment_withdraw(user=contract.freelancer, amendment=withdrawn)
    before = state(contract)
    with pytest.raises(InvalidTransition):
        amendment_accept(user=contract.client, amendment=declined)
    with pytest.raises(InvalidTransition):
        amendment_accept(user=contract.client, amendment=withdrawn)
    assert state(contract) == before
    assert contract.milestones.count() == 1


def test_bad_proposals_change_nothing():
    contract = contract_fixed((50_000,))
    before = state(contract)
    cases = [
        {"description": "", "amount": Money(1_000)},
        {"description": "x" * 501, "amount": Money(1_000)},
        {"description": "Tiny", "amount": Money(499)},
        {"description": "Huge", "amount": Money(100_000_001)},
        {
            "description": "Past",
            "amount": Money(1_000),
            "due_date": clock.now().date() - timedelta(days=1),
        },
        {"description": "Many", "amount": Money(1_000), "criteria": [f"c{n}" for n in range(11)]},
    ]
    for case in cases:
        with pytest.raises(InvalidInput):
            amendment_propose(user=contract.client, contract=contract, **case)
    with pytest.raises(NotFound):
        amendment_propose(
            user=client_user(), contract=contract, description="x", amount=Money(1_000)
        )
    assert state(contract) == before


def test_an_ended_contract_takes_no_amendments():
    contract = contract_fixed((50_000,))
    pending = amendment_propose(
        user=contract.client, contract=contract, description="Later", amount=Money(1_000)
    )
    milestone_cancel(user=contract.client, milestone=contract.milestones.get())
    contract_end(user=contract.client, contract=contract)
    before = state(contract)
    with pytest.raises(Conflict):
        amendment_accept(user=contract.freelancer, amendment=pending)
    with pytest.raises(Conflict):
        amendment_propose(
            user=contract.client, contract=contract, description="x", amount=Money(1_000)
        )
    assert state(contract) == before
