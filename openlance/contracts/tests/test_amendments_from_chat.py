"""Agreements become contract terms from the chat (SPEC §7.3): either side turns a message of
the contract's conversation into an amendment (a new milestone, a changed amount or due
date, new hourly terms, an expense) prefilled from it and linked to it; the other side
answers in the conversation or in the room."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client

from openlance.accounts.services import token_create
from openlance.contracts.amendments import (
    amendment_accept,
    amendment_propose,
    amendment_propose_milestone_change,
)
from openlance.contracts.common import contract_topic
from openlance.contracts.milestones.funding import milestone_fund
from openlance.contracts.models import Amendment, Contract, Expense
from openlance.contracts.payments.expenses import expense_propose
from openlance.contracts.tests.factories import contract_fixed, contract_hourly
from openlance.core import clock
from openlance.core.errors import Conflict, InvalidInput
from openlance.core.money import Money
from openlance.core.services import outbox_drain
from openlance.core.tests.files import pdf_upload
from openlance.messaging.models import Message
from openlance.messaging.services import conversation_open, message_send

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("assert_ledger_sound")]


def said(contract: Contract, text: str, *, by_client: bool = False) -> Message:
    conversation = conversation_open(
        topic=contract_topic(contract),
        title=contract.title,
        members=[contract.client, contract.freelancer],
    )
    sender = contract.client if by_client else contract.freelancer
    return message_send(conversation=conversation, sender=sender, body=text)


def test_a_milestone_change_applies_when_accepted_and_a_funded_amount_stays():
    contract = contract_fixed((50_000, 20_000))
    first, second = contract.milestones.order_by("position")
    later = clock.now().date() + timedelta(days=30)
    change = amendment_propose_milestone_change(
        user=contract.freelancer,
        contract=contract,
        milestone=second,
        amount=Money(25_000),
        due_date=later,
        note="The gallery grew to 40 photos.",
    )
    assert (
        change.description == f"“{second.description}”: $200.00 → $250.00, due {later:%b %-d, %Y}"
    )
    amendment_accept(user=contract.client, amendment=change)
    second.refresh_from_db()
    assert (second.amount_cents, second.due_date) == (25_000, later)
    milestone_fund(client=contract.client, milestone=first, payment_method="pm_card_visa")
    with pytest.raises(InvalidInput, match="Check the change"):
        amendment_propose_milestone_change(
            user=contract.client, contract=contract, milestone=first, amount=Money(40_000)
        )
    with pytest.raises(InvalidInput):
        amendment_propose_milestone_change(user=contract.client, contract=contract, milestone=first)
    # Proposed before funding, accepted after: the amount no longer changes.
    late = amendment_propose_milestone_change(
        user=contract.client, contract=contract, milestone=second, amount=Money(30_000)
    )
    milestone_fund(client=contract.client, milestone=second, payment_method="pm_card_visa")
    with pytest.raises(Conflict, match="funded since"):
        amendment_accept(user=contract.freelancer, amendment=late)
    second.refresh_from_db()
    assert second.amount_cents == 25_000


def test_a_change_proposed_from_a_message_is_linked_to_it_and_only_from_its_conversation():
    contract = contract_fixed()
    message = said(contract, "Can we add a French version for $300?")
    amendment = amendment_propose(
        user=contract.freelancer,
        contract=contract,
        description="French version",
        amount=Money(30_000),
        source_message=message,
    )
    assert amendment.source_message == message
    elsewhere = said(contract_fixed(), "Another contract's chat, $10")
    with pytest.raises(InvalidInput, match="not in this contract"):
        amendment_propose(
            user=contract.freelancer,
            contract=contract,
            description="x",
            amount=Money(1_000),
            source_message=elsewhere,
        )
    hourly = contract_hourly()
    fonts = said(hourly, "I bought the fonts for $49, receipt attached.")
    expense = expense_propose(
        freelancer=hourly.freelancer,
        contract=hourly,
        description="Fonts",
        amount=Money(4_900),
        receipt=pdf_upload(),
        source_message=fonts,
    )
    assert expense.source_message == fonts


def test_propose_as_amendment_prefills_the_room_from_the_message(client):
    contract = contract_fixed()
    message = said(contract, "Extra landing page for $1,250.50 next week\nDetails to follow.")
    client.force_login(contract.freelancer)
    room = client.get(f"/contracts/{contract.pk}/?from_message={message.pk}").content.decode()
    assert 'data-testid="from-message"' in room
    assert 'value="Extra landing page for $1,250.50 next week"' in room
    assert 'value="1250.50"' in room
    assert f'name="source_message" value="{message.pk}"' in room
    done = client.post(
        f"/contracts/{contract.pk}/amendments/",
        {
            "description": "Extra landing page",
            "amount": "1250.50",
            "source_message": message.pk,
        },
    )
    assert done.status_code == 302
    assert Amendment.objects.get().source_message_id == message.pk
    # Another conversation's message prefills nothing.
    other = said(contract_fixed(), "$5")
    room = client.get(f"/contracts/{contract.pk}/?from_message={other.pk}").content.decode()
    assert 'data-testid="from-message"' not in room


def test_the_conversation_offers_the_link_and_answers_changes_in_place(client):
    contract = contract_fixed()
    message = said(contract, "Let's add a blog page for $400", by_client=True)
    amendment = amendment_propose(
        user=contract.client,
        contract=contract,
        description="Blog page",
        amount=Money(40_000),
        source_message=message,
    )
    client.force_login(contract.freelancer)
    page = client.get(f"/messages/{message.conversation_id}/").content.decode()
    assert 'data-testid="propose-from-message"' in page
    assert f"/contracts/{contract.pk}/?from_message={message.pk}" in page
    card = client.get(f"/contracts/{contract.pk}/chat-proposals/").content.decode()
    assert "New milestone: Blog page · $400.00" in card
    answered = client.post(
        f"/contracts/amendments/{amendment.pk}/accept/",
        {"next": f"/messages/{message.conversation_id}/"},
    )
    assert answered.status_code == 302
    assert answered["Location"] == f"/messages/{message.conversation_id}/"
    amendment.refresh_from_db()
    assert amendment.state == "accepted"
    outside = client.post(
        f"/contracts/amendments/{amendment.pk}/decline/", {"next": "https://evil.example/"}
    )
    assert outside["Location"] == f"/contracts/{contract.pk}/"


def test_the_api_takes_the_message_and_proposes_milestone_changes():
    contract = contract_fixed((50_000,))
    milestone = contract.milestones.get()
    message = said(contract, "Could the deadline move a week?", by_client=True)
    auth = {"Authorization": f"Bearer {token_create(user=contract.client, name='t')[1]}"}
    due = (clock.now().date() + timedelta(days=21)).isoformat()
    made = Client().post(
        f"/api/v1/contracts/{contract.pk}/milestone-changes",
        json.dumps(
            {"milestone_id": milestone.pk, "due_date": due, "source_message_id": message.pk}
        ),
        content_type="application/json",
        headers=auth,
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["kind"], body["changes_milestone_id"], body["source_message_id"]) == (
        "milestone_change",
        milestone.pk,
        message.pk,
    )
    missing = Client().post(
        f"/api/v1/contracts/{contract.pk}/milestone-changes",
        json.dumps({"milestone_id": 999_999, "due_date": due}),
        content_type="application/json",
        headers=auth,
    )
    assert missing.status_code == 404
    hourly = contract_hourly()
    expense = Client().post(
        f"/api/v1/contracts/{hourly.pk}/expenses",
        {
            "description": "Fonts",
            "amount": "49.00",
            "receipt": pdf_upload(),
            "source_message_id": str(said(hourly, "fonts $49").pk),
        },
        headers={"Authorization": f"Bearer {token_create(user=hourly.freelancer, name='t')[1]}"},
    )
    assert expense.status_code == 201, expense.content
    assert Expense.objects.get().source_message_id is not None


def test_the_other_side_is_emailed_a_milestone_change():
    contract = contract_fixed((50_000,))
    amendment_propose_milestone_change(
        user=contract.freelancer,
        contract=contract,
        milestone=contract.milestones.get(),
        amount=Money(60_000),
    )
    outbox_drain(now=clock.now())
    sent = [m for m in mail.outbox if "A change proposed" in m.subject]
    assert [m.to[0] for m in sent] == [contract.client.email]
    assert "$500.00 → $600.00" in sent[0].body


def test_a_change_proposed_before_another_was_accepted_does_not_undo_it():
    contract = contract_fixed((40_000,))
    milestone = contract.milestones.get()
    later = clock.now().date() + timedelta(days=20)
    raise_it = amendment_propose_milestone_change(
        user=contract.freelancer, contract=contract, milestone=milestone, amount=Money(50_000)
    )
    move_it = amendment_propose_milestone_change(
        user=contract.client, contract=contract, milestone=milestone, due_date=later
    )
    amendment_accept(user=contract.client, amendment=raise_it)
    with pytest.raises(Conflict, match="changed since"):
        amendment_accept(user=contract.freelancer, amendment=move_it)
    milestone.refresh_from_db()
    assert milestone.amount_cents == 50_000
