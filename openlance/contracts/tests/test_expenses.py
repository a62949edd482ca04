"""Expenses (SPEC §7.3): proposed by the freelancer with a receipt checked by content, a term
of the contract only once the client accepts it, funded into escrow with the marketplace fee
and reimbursed in full, without a service fee and outside the relationship's billings."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from openlance.accounts.services import token_create
from openlance.accounts.tests.factories import UserFactory
from openlance.billing import gateway as gw
from openlance.billing import services as billing_services
from openlance.billing.models import (
    CardCharge,
    CardChargeState,
    ChargeClaim,
    PendingEarning,
    Relationship,
)
from openlance.billing.services import funds_deposit
from openlance.billing.tests.gateways import DeclinesFirst
from openlance.contracts.common import escrow_account
from openlance.contracts.endings import contract_end
from openlance.contracts.models import Contract, Expense
from openlance.contracts.payments.expenses import (
    expense_accept,
    expense_decline,
    expense_fund,
    expense_propose,
    expense_release,
    expense_withdraw,
)
from openlance.contracts.tests.factories import contract_hourly
from openlance.core import clock
from openlance.core.errors import (
    Conflict,
    InsufficientFunds,
    InvalidInput,
    InvalidTransition,
    PaymentDeclined,
)
from openlance.core.money import Money
from openlance.core.services import outbox_drain
from openlance.core.tests.files import pdf_upload
from openlance.ledger.models import AccountKind, LedgerAccount, Transfer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("assert_ledger_sound")]


def hired(balance: int = 50_000) -> Contract:
    contract = contract_hourly()
    if balance:
        funds_deposit(
            user=contract.client, amount=Money(balance), payment_method="pm_card_visa", key="t"
        )
    return contract


def proposed(contract: Contract, cents: int = 12_000) -> Expense:
    return expense_propose(
        freelancer=contract.freelancer,
        contract=contract,
        description="Stock photos for the landing page",
        amount=Money(cents),
        receipt=pdf_upload("receipt.pdf"),
    )


def test_the_reimbursement_story_from_proposal_to_money_without_a_fee():
    contract = hired()
    expense = proposed(contract)
    assert expense.state == "proposed"
    assert expense.receipt_content_type == "application/pdf"
    outbox_drain(now=clock.now())
    expense_accept(client=contract.client, expense=expense)
    funded = expense_fund(client=contract.client, expense=expense)
    assert (funded.state, funded.marketplace_fee_cents) == ("funded", 360)
    escrow = escrow_account(contract)
    escrow.refresh_from_db()
    assert escrow.balance_cents == 12_000
    assert expense_fund(client=contract.client, expense=funded).state == "funded"  # a retry
    with pytest.raises(Conflict, match="not reimbursed"):
        contract_end(user=contract.client, contract=contract)
    released = expense_release(client=contract.client, expense=funded)
    assert released.state == "released"
    escrow.refresh_from_db()
    assert escrow.balance_cents == 0
    earning = PendingEarning.objects.get(freelancer=contract.freelancer)
    assert (earning.kind, earning.amount_cents) == ("expense", 12_000)  # in full, no fee
    assert not Relationship.objects.exists()  # not a payment for work
    funding = LedgerAccount.objects.get(kind=AccountKind.CLIENT_FUNDING, owner=contract.client)
    assert funding.balance_cents == 50_000 - 12_360
    with pytest.raises(InvalidTransition):
        expense_release(client=contract.client, expense=released)
    contract_end(user=contract.client, contract=contract)
    outbox_drain(now=clock.now())
    subjects = [(m.to[0], m.subject) for m in mail.outbox if "xpense" in m.subject]
    assert (contract.client.email, f"[Openlance] An expense proposed on “{contract.title}”") in (
        subjects
    )
    assert sum(1 for to, _ in subjects if to == contract.freelancer.email) == 3


def test_an_expense_binds_only_once_accepted_and_only_its_sides_act():
    contract = hired(balance=0)
    expense = proposed(contract)
    with pytest.raises(InvalidTransition):
        expense_fund(client=contract.client, expense=expense)  # not accepted yet
    with pytest.raises(Conflict, match="client"):
        expense_accept(client=contract.freelancer, expense=expense)
    expense_decline(client=contract.client, expense=expense)
    with pytest.raises(InvalidTransition):
        expense_accept(client=contract.client, expense=expense)
    second = proposed(contract, 5_000)
    expense_withdraw(freelancer=contract.freelancer, expense=second)
    third = proposed(contract, 5_000)
    expense_accept(client=contract.client, expense=third)
    with pytest.raises(InsufficientFunds, match="does not cover"):
        expense_fund(client=contract.client, expense=third)
    by_card = expense_fund(client=contract.client, expense=third, payment_method="pm_card_visa")
    assert by_card.state == "funded"
    with pytest.raises(Conflict, match="freelancer"):
        expense_propose(
            freelancer=contract.client,
            contract=contract,
            description="x",
            amount=Money(1_000),
            receipt=pdf_upload(),
        )


def test_a_receipt_is_checked_by_content_and_the_amount_by_the_rules():
    contract = hired()
    fake = SimpleUploadedFile(
        "receipt.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf"
    )
    with pytest.raises(InvalidInput) as bad:
        expense_propose(
            freelancer=contract.freelancer,
            contract=contract,
            description="Hosting",
            amount=Money(1_000),
            receipt=fake,
        )
    assert "receipt" in bad.value.field_errors
    with pytest.raises(InvalidInput) as missing:
        expense_propose(
            freelancer=contract.freelancer,
            contract=contract,
            description=" ",
            amount=Money(50),
            receipt=None,
        )
    assert set(missing.value.field_errors) == {"description", "amount", "receipt"}
    assert not Expense.objects.exists()


def test_the_api_proposes_answers_funds_and_releases_an_expense():
    contract = hired()

    def auth(user):
        return {"Authorization": f"Bearer {token_create(user=user, name='t')[1]}"}

    made = Client().post(
        f"/api/v1/contracts/{contract.pk}/expenses",
        {"description": "Fonts licence", "amount": "49.00", "receipt": pdf_upload("r.pdf")},
        headers=auth(contract.freelancer),
    )
    assert made.status_code == 201, made.content
    expense_id = made.json()["id"]
    bad = Client().post(
        f"/api/v1/contracts/{contract.pk}/expenses",
        {"description": "Fonts", "amount": "1e9", "receipt": pdf_upload("r.pdf")},
        headers=auth(contract.freelancer),
    )
    assert bad.status_code == 422
    for step, body in (
        ("accept", None),
        ("fund", {"payment_method": "balance"}),
        ("release", None),
    ):
        done = Client().post(
            f"/api/v1/expenses/{expense_id}/{step}",
            json.dumps(body or {}),
            content_type="application/json",
            headers=auth(contract.client),
        )
        assert done.status_code == 200, (step, done.content)
    assert done.json()["state"] == "released"
    receipt = Client().get(made.json()["receipt_url"], headers=auth(contract.client))
    assert receipt.status_code in (200, 302)
    stranger = auth(UserFactory())
    assert (
        Client().post(f"/api/v1/expenses/{expense_id}/accept", headers=stranger).status_code == 404
    )
    listed = Client().get(
        f"/api/v1/contracts/{contract.pk}/expenses", headers=auth(contract.client)
    )
    assert [e["state"] for e in listed.json()["items"]] == ["released"]


def test_the_room_proposes_and_settles_an_expense_and_serves_its_receipt(client):
    contract = hired()
    client.force_login(contract.freelancer)
    room = client.get(f"/contracts/{contract.pk}/").content.decode()
    assert "Propose an expense" in room
    refused = client.post(
        f"/contracts/{contract.pk}/expenses/",
        {"description": "Domain", "amount": "12", "receipt": SimpleUploadedFile("x.pdf", b"no")},
    )
    assert refused.status_code == 200
    done = client.post(
        f"/contracts/{contract.pk}/expenses/",
        {"description": "Domain name", "amount": "12", "receipt": pdf_upload("domain.pdf")},
    )
    assert done.status_code == 302
    expense = Expense.objects.get()
    download = client.get(f"/contracts/expenses/{expense.pk}/receipt/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    client.force_login(contract.client)
    client.post(f"/contracts/expenses/{expense.pk}/accept/")
    client.post(f"/contracts/expenses/{expense.pk}/fund/", {f"e{expense.pk}-pay_with": "balance"})
    client.post(f"/contracts/expenses/{expense.pk}/release/")
    expense.refresh_from_db()
    assert expense.state == "released"
    client.force_login(UserFactory())
    assert client.get(f"/contracts/expenses/{expense.pk}/receipt/").status_code == 404


def test_the_freelancer_gives_up_an_accepted_expense_and_its_escrow_goes_back():
    contract = hired()
    expense = proposed(contract)
    expense_accept(client=contract.client, expense=expense)
    funded = expense_fund(client=contract.client, expense=expense)
    withdrawn = expense_withdraw(freelancer=contract.freelancer, expense=funded)
    assert withdrawn.state == "withdrawn"
    escrow = escrow_account(contract)
    escrow.refresh_from_db()
    assert escrow.balance_cents == 0
    funding = LedgerAccount.objects.get(kind=AccountKind.CLIENT_FUNDING, owner=contract.client)
    assert funding.balance_cents == 50_000 - 360  # only the marketplace fee stays spent
    contract_end(user=contract.freelancer, contract=contract)


def test_an_odd_message_id_on_the_expense_api_is_a_422_not_a_500():
    contract = hired()
    answer = Client().post(
        f"/api/v1/contracts/{contract.pk}/expenses",
        {
            "description": "Fonts",
            "amount": "49.00",
            "receipt": pdf_upload(),
            "source_message_id": "²",
        },
        headers={"Authorization": f"Bearer {token_create(user=contract.freelancer, name='t')[1]}"},
    )
    assert answer.status_code == 422


def test_an_expense_withdrawn_while_its_card_is_charged_leaves_the_money_on_the_balance(
    monkeypatch: pytest.MonkeyPatch,
):
    """The booking funds the expense in its own transaction; when the freelancer has
    withdrawn it by then, the charge is still booked, its money stays on the balance, and
    the client is told why the expense was not funded."""
    contract = hired(balance=0)
    expense = expense_accept(client=contract.client, expense=proposed(contract))
    real = gw.SandboxGateway.charge

    def charge(self: gw.SandboxGateway, **kwargs: Any) -> gw.ChargeResult:
        result = real(self, **kwargs)
        Expense.objects.filter(pk=expense.pk).update(state="withdrawn")
        return result

    monkeypatch.setattr(gw.SandboxGateway, "charge", charge)
    with pytest.raises(InvalidTransition, match="withdrawn cannot become funded"):
        expense_fund(client=contract.client, expense=expense, payment_method="pm_card_visa")
    assert CardCharge.objects.get().state == CardChargeState.BOOKED
    funding = LedgerAccount.objects.get(kind=AccountKind.CLIENT_FUNDING, owner=contract.client)
    assert funding.balance_cents == 12_360
    expense.refresh_from_db()
    assert (expense.state, expense.funding_id) == ("withdrawn", None)
    assert escrow_account(contract).balance_cents == 0
    assert not Transfer.objects.filter(kind="expense_funding").exists()


def test_a_declined_card_can_be_tried_again_for_an_expense(monkeypatch):
    gateway = DeclinesFirst()
    monkeypatch.setattr(billing_services, "payment_gateway", lambda: gateway)
    contract = hired(balance=0)
    expense = expense_accept(client=contract.client, expense=proposed(contract))
    with pytest.raises(PaymentDeclined):
        expense_fund(client=contract.client, expense=expense, payment_method="pm_card_visa")
    # The client's bank lets the payment through now: the same card is a new attempt.
    funded = expense_fund(client=contract.client, expense=expense, payment_method="pm_card_visa")
    assert funded.state == "funded"
    assert len(gateway.answers) == 2
    assert CardCharge.objects.filter(subject=f"expense:{expense.pk}").count() == 2
    assert (
        LedgerAccount.objects.get(
            kind=AccountKind.CLIENT_FUNDING, owner=contract.client
        ).balance_cents
        == 0
    )


def test_a_second_card_payment_while_one_is_under_way_is_refused_before_its_card_is_charged():
    contract = hired(balance=0)
    expense = expense_accept(client=contract.client, expense=proposed(contract))
    # Another tab's payment with another card holds the funding's claim.
    ChargeClaim.objects.create(
        subject=f"expense:{expense.pk}:fund", holder="another-card", claimed_at=clock.now()
    )
    with pytest.raises(InvalidTransition, match="under way"):
        expense_fund(client=contract.client, expense=expense, payment_method="pm_card_visa")
    assert not CardCharge.objects.exists()
    ChargeClaim.objects.all().delete()  # that payment ended
    funded = expense_fund(client=contract.client, expense=expense, payment_method="pm_card_visa")
    assert funded.state == "funded"
    assert not ChargeClaim.objects.exists()
