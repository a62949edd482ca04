"""The emails of milestone and amendment events, delivered by the outbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail

from openlance.contracts.amendments import amendment_propose
from openlance.contracts.milestones.funding import milestone_fund
from openlance.contracts.milestones.release import milestone_approve, milestone_auto_approve_run_due
from openlance.contracts.milestones.submissions import (
    milestone_request_changes,
    milestone_resubmit,
    milestone_submit,
)
from openlance.contracts.tests.factories import contract_fixed
from openlance.core import clock
from openlance.core.money import Money
from openlance.core.services import outbox_drain

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("assert_ledger_sound")]


def delivered() -> list[tuple[str, str]]:
    outbox_drain(now=clock.now())
    sent = [(message.to[0], message.subject) for message in mail.outbox]
    mail.outbox.clear()
    return sent


def test_each_step_mails_the_other_side():
    contract = contract_fixed((50_000,))
    client, freelancer = contract.client.email, contract.freelancer.email
    delivered()
    milestone = contract.milestones.get()
    start = clock.now()
    with clock.frozen_at(start):
        milestone_fund(client=contract.client, milestone=milestone, payment_method="pm_card_visa")
        assert [(to, "funded" in subject.lower()) for to, subject in delivered()] == [
            (freelancer, True)
        ]
        milestone_submit(freelancer=contract.freelancer, milestone=milestone, message="Done")
        assert [to for to, _ in delivered()] == [client]
        milestone_request_changes(client=contract.client, milestone=milestone, message="Again")
        assert [to for to, _ in delivered()] == [freelancer]
        milestone_resubmit(freelancer=contract.freelancer, milestone=milestone, message="Fixed")
        assert "resubmitted" in delivered()[0][1]
    soon = start + timedelta(days=12, hours=1)
    with clock.frozen_at(soon):
        milestone_auto_approve_run_due(now=soon)
        warning = delivered()
    assert warning[0][0] == client
    assert "2 days" in warning[0][1]
    due = start + timedelta(days=14)
    with clock.frozen_at(due):
        milestone_auto_approve_run_due(now=due)
        approved = delivered()
    assert approved[0][0] == freelancer
    assert "approved" in approved[0][1].lower()
    amendment_propose(
        user=contract.freelancer, contract=contract, description="More", amount=Money(10_000)
    )
    assert [to for to, _ in delivered()] == [client]


def test_a_remainder_that_funds_the_next_milestone_tells_the_freelancer():
    contract = contract_fixed((50_000, 20_000))
    first = contract.milestones.order_by("position")[0]
    milestone_fund(client=contract.client, milestone=first, payment_method="pm_card_visa")
    milestone_submit(freelancer=contract.freelancer, milestone=first, message="Done")
    delivered()
    milestone_approve(
        client=contract.client, milestone=first, amount=Money(30_000), remainder="keep"
    )
    subjects = [subject for to, subject in delivered() if to == contract.freelancer.email]
    assert any("Milestone funded: “Milestone 2”" in subject for subject in subjects)
    assert any("approved" in subject for subject in subjects)
