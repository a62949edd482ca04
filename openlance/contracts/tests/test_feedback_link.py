"""Ending a contract opens its feedback (SPEC §7.3, §10). Feedback lives in `reviews`,
beside contracts, so these tests know it only as a page name and the emails its
`contract.ended` handler sends: nothing here imports reviews."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from openlance.contracts.endings import contract_end
from openlance.contracts.milestones.funding import milestone_fund
from openlance.contracts.milestones.release import milestone_approve
from openlance.contracts.milestones.submissions import milestone_submit
from openlance.contracts.tests.factories import contract_fixed, contract_hourly
from openlance.core import clock
from openlance.core.services import outbox_drain

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("assert_ledger_sound")]


def ended_fixed():
    contract = contract_fixed((50_000,))
    milestone = contract.milestones.get()
    milestone_fund(client=contract.client, milestone=milestone, payment_method="pm_card_visa")
    milestone_submit(freelancer=contract.freelancer, milestone=milestone, message="Done")
    milestone_approve(client=contract.client, milestone=milestone)
    return contract_end(user=contract.freelancer, contract=contract)


def test_ending_a_contract_invites_both_sides_to_leave_feedback():
    contract = ended_fixed()
    mail.outbox.clear()
    outbox_drain(now=clock.now())
    link = f"{settings.SITE_URL}{reverse('contract_feedback', args=[contract.pk])}"
    invitations = [m for m in mail.outbox if link in m.body]
    assert sorted(m.to[0] for m in invitations) == sorted(
        [contract.client.email, contract.freelancer.email]
    )
    assert all("Leave feedback" in m.subject for m in invitations)
    mail.outbox.clear()
    outbox_drain(now=clock.now())
    assert mail.outbox == []  # delivered once


def test_the_room_of_an_ended_contract_links_to_its_feedback(client):
    contract = contract_hourly()
    contract_end(user=contract.client, contract=contract)
    feedback = reverse("contract_feedback", args=[contract.pk])
    for party in (contract.client, contract.freelancer):
        client.force_login(party)
        room = client.get(reverse("contract_detail", args=[contract.pk])).content.decode()
        assert f'href="{feedback}"' in room
        assert reverse("contract_feedback_card", args=[contract.pk]) in room
        assert client.get(feedback).status_code == 200


def test_a_running_contract_has_no_feedback_card(client):
    contract = contract_fixed((50_000,))
    client.force_login(contract.client)
    room = client.get(reverse("contract_detail", args=[contract.pk])).content.decode()
    assert reverse("contract_feedback", args=[contract.pk]) not in room
