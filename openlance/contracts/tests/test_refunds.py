"""Refunds (SPEC §7.3): the freelancer gives back all or part of a payment up to 180 days old
with the fee returned in proportion; the client asks for one on a payment up to 365 days old
and the freelancer has 7 days to accept or reject it, after which it lapses."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client

from openlance.accounts.services import token_create
from openlance.accounts.tests.factories import UserFactory
from openlance.billing.models import Payment, Relationship
from openlance.contracts.milestones.funding import milestone_fund
from openlance.contracts.milestones.release import milestone_approve
from openlance.contracts.milestones.submissions import milestone_submit
from openlance.contracts.models import Contract, Refund, RefundRequest
from openlance.contracts.payments.refunds import (
    refund_make,
    refund_request_accept,
    refund_request_open,
    refund_request_reject,
    refund_requests_lapse_run_due,
)
from openlance.contracts.tests.factories import contract_fixed
from openlance.core import clock
from openlance.core.errors import (
    Conflict,
    IdempotencyConflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
)
from openlance.core.money import Money
from openlance.core.services import outbox_drain
from openlance.ledger.models import AccountKind, LedgerAccount

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("assert_ledger_sound")]


def paid(amount: int = 60_000) -> tuple[Contract, Payment]:
    """A contract whose one milestone was released: a first payment of `amount`."""
    contract = contract_fixed((amount,))
    milestone = contract.milestones.get()
    milestone_fund(client=contract.client, milestone=milestone, payment_method="pm_card_visa")
    milestone_submit(freelancer=contract.freelancer, milestone=milestone, message="Done")
    milestone_approve(client=contract.client, milestone=milestone)
    return contract, Payment.objects.get(milestone_release__contract=contract)


def client_balance(contract: Contract) -> int:
    return LedgerAccount.objects.get(
        kind=AccountKind.CLIENT_FUNDING, owner=contract.client
    ).balance_cents


def test_a_partial_refund_returns_the_fee_in_proportion_and_keeps_billings_exact():
    contract, payment = paid(60_000)  # fee $110, net $490
    before = client_balance(contract)
    refund = refund_make(
        freelancer=contract.freelancer,
        contract=contract,
        payment=payment,
        amount=Money(30_000),
        reason="Half the pages were not needed after all.",
        key="r1",
    )
    payment.refresh_from_db()
    assert (payment.refunded_cents, payment.refunded_fee_cents) == (30_000, 5_500)
    assert client_balance(contract) == before + 30_000
    relationship = Relationship.objects.get()
    assert (relationship.gross_cents, relationship.fee_cents, relationship.net_cents) == (
        30_000,
        5_500,
        24_500,
    )
    # The same request again refunds nothing more; its key with another amount is refused.
    assert (
        refund_make(
            freelancer=contract.freelancer,
            contract=contract,
            payment=payment,
            amount=Money(30_000),
            reason="Again",
            key="r1",
        )
        == refund
    )
    with pytest.raises(IdempotencyConflict):
        refund_make(
            freelancer=contract.freelancer,
            contract=contract,
            payment=payment,
            amount=Money(1_000),
            reason="Again",
            key="r1",
        )
    refund_make(
        freelancer=contract.freelancer,
        contract=contract,
        payment=payment,
        amount=Money(30_000),
        reason="The rest",
        key="r2",
    )
    payment.refresh_from_db()
    assert (payment.refunded_cents, payment.refunded_fee_cents) == (60_000, 11_000)
    with pytest.raises(InvalidInput):
        refund_make(
            freelancer=contract.freelancer,
            contract=contract,
            payment=payment,
            amount=Money(1),
            reason="Nothing left",
            key="r3",
        )
    outbox_drain(now=clock.now())
    assert [m.to[0] for m in mail.outbox if "A refund of $300.00" in m.subject] == [
        contract.client.email,
        contract.client.email,
    ]


def test_who_refunds_what_and_until_when():
    contract, payment = paid()
    other, other_payment = paid()
    args = {"amount": Money(1_000), "reason": "Sorry", "key": "k"}
    with pytest.raises(Conflict, match="freelancer"):
        refund_make(freelancer=contract.client, contract=contract, payment=payment, **args)
    with pytest.raises(NotFound):
        refund_make(freelancer=UserFactory(), contract=contract, payment=payment, **args)
    with pytest.raises(InvalidInput, match="not made on this contract"):
        refund_make(
            freelancer=contract.freelancer, contract=contract, payment=other_payment, **args
        )
    with pytest.raises(InvalidInput) as bad:
        refund_make(
            freelancer=contract.freelancer,
            contract=contract,
            payment=payment,
            amount=Money(1_000),
            reason=" ",
            key="k",
        )
    assert "reason" in bad.value.field_errors
    with (
        clock.frozen_at(payment.created_at + timedelta(days=181)),
        pytest.raises(Conflict, match="180 days"),
    ):
        refund_make(freelancer=contract.freelancer, contract=contract, payment=payment, **args)
    assert not Refund.objects.exists()
    assert other.pk != contract.pk


def test_a_refund_request_is_accepted_rejected_or_lapses_after_seven_days():
    contract, payment = paid()
    with clock.frozen_at(payment.created_at + timedelta(days=300)):
        request = refund_request_open(
            client=contract.client,
            contract=contract,
            payment=payment,
            amount=Money(10_000),
            reason="The second page never worked on phones.",
        )
        with pytest.raises(Conflict, match="already waiting"):
            refund_request_open(
                client=contract.client,
                contract=contract,
                payment=payment,
                amount=Money(5_000),
                reason="Again",
            )
        with pytest.raises(Conflict, match="freelancer"):
            refund_request_accept(freelancer=contract.client, request=request)
        accepted = refund_request_accept(freelancer=contract.freelancer, request=request)
        assert accepted.state == "accepted"
        assert accepted.refund is not None
        assert accepted.refund.amount_cents == 10_000
        with pytest.raises(InvalidTransition):
            refund_request_reject(freelancer=contract.freelancer, request=request, note="No")
        second = refund_request_open(
            client=contract.client,
            contract=contract,
            payment=payment,
            amount=Money(5_000),
            reason="And the contact form.",
        )
        with pytest.raises(InvalidInput):
            refund_request_reject(freelancer=contract.freelancer, request=second, note="")
        rejected = refund_request_reject(
            freelancer=contract.freelancer, request=second, note="It works; see the video."
        )
        assert rejected.state == "rejected"
        third = refund_request_open(
            client=contract.client,
            contract=contract,
            payment=payment,
            amount=Money(5_000),
            reason="Still asking.",
        )
    later = third.answer_by
    assert refund_requests_lapse_run_due(now=later - timedelta(seconds=1)) == 0
    assert refund_requests_lapse_run_due(now=later) == 1
    assert refund_requests_lapse_run_due(now=later) == 0
    third.refresh_from_db()
    assert third.state == "lapsed"
    with clock.frozen_at(later), pytest.raises(Conflict, match="over"):
        refund_request_accept(freelancer=contract.freelancer, request=third)
    with (
        clock.frozen_at(payment.created_at + timedelta(days=366)),
        pytest.raises(Conflict, match="365 days"),
    ):
        refund_request_open(
            client=contract.client,
            contract=contract,
            payment=payment,
            amount=Money(1_000),
            reason="Too late",
        )
    outbox_drain(now=later + timedelta(days=1))
    to_client = [m for m in mail.outbox if "Your refund request" in m.subject]
    assert len(to_client) == 3
    # A request answered before the worker got to it is not announced to the freelancer.
    assert not [m for m in mail.outbox if "asks for a refund" in m.subject]


def test_the_freelancer_is_emailed_a_request_with_its_deadline():
    contract, payment = paid()
    refund_request_open(
        client=contract.client,
        contract=contract,
        payment=payment,
        amount=Money(2_000),
        reason="Late delivery",
    )
    outbox_drain(now=clock.now())
    sent = [m for m in mail.outbox if "asks for a refund" in m.subject]
    assert [m.to[0] for m in sent] == [contract.freelancer.email]
    assert "Late delivery" in sent[0].body


def test_the_api_lists_payments_refunds_and_answers_requests():
    contract, payment = paid()

    def auth(user):
        return {"Authorization": f"Bearer {token_create(user=user, name='t')[1]}"}

    def post(user, path, body=None):
        return Client().post(
            path, json.dumps(body or {}), content_type="application/json", headers=auth(user)
        )

    listed = (
        Client()
        .get(f"/api/v1/contracts/{contract.pk}/payments", headers=auth(contract.client))
        .json()
    )
    assert [(p["id"], p["kind"], p["refundable"]["amount"]) for p in listed["items"]] == [
        (payment.pk, "milestone_release", "600.00")
    ]
    made = post(
        contract.freelancer,
        f"/api/v1/payments/{payment.pk}/refunds",
        {"amount": {"amount": "100.00"}, "reason": "Goodwill"},
    )
    assert made.status_code == 201, made.content
    asked = post(
        contract.client,
        f"/api/v1/payments/{payment.pk}/refund-requests",
        {"amount": {"amount": "50.00"}, "reason": "A broken link"},
    )
    assert asked.status_code == 201, asked.content
    assert asked.json()["state"] == "pending"
    rejected = post(
        contract.freelancer,
        f"/api/v1/refund-requests/{asked.json()['id']}/reject",
        {"note": "Fixed already"},
    )
    assert rejected.json()["state"] == "rejected"
    stranger = UserFactory()
    assert post(stranger, f"/api/v1/payments/{payment.pk}/refunds", {}).status_code == 404
    assert post(stranger, f"/api/v1/refund-requests/{asked.json()['id']}/accept").status_code == 404
    assert (
        post(
            contract.freelancer,
            f"/api/v1/payments/{payment.pk}/refunds",
            {"amount": {"amount": "9999.00"}, "reason": "Too much"},
        ).status_code
        == 422
    )
    refunds_listed = (
        Client()
        .get(f"/api/v1/contracts/{contract.pk}/refunds", headers=auth(contract.client))
        .json()
    )
    assert [r["amount"]["amount"] for r in refunds_listed["items"]] == ["100.00"]


def test_the_room_refunds_and_answers_requests_with_errors_in_place(client):
    contract, payment = paid()
    client.force_login(contract.client)
    room = client.get(f"/contracts/{contract.pk}/").content.decode()
    assert "Ask for a refund" in room
    asked = client.post(
        f"/contracts/{contract.pk}/refund-requests/",
        {"payment": payment.pk, "amount": "25", "reason": "Typos", "key": "a"},
    )
    assert asked.status_code == 302
    request = RefundRequest.objects.get()
    client.force_login(contract.freelancer)
    room = client.get(f"/contracts/{contract.pk}/").content.decode()
    assert "Refund a payment" in room
    assert "asks for $25.00 back" in room
    too_much = client.post(
        f"/contracts/{contract.pk}/refunds/",
        {"payment": payment.pk, "amount": "5000", "reason": "x", "key": "b"},
    )
    assert too_much.status_code == 200
    assert "what is left of the payment" in too_much.content.decode()
    empty_reject = client.post(f"/contracts/refund-requests/{request.pk}/reject/", {"note": ""})
    assert empty_reject.status_code == 200
    client.post(f"/contracts/refund-requests/{request.pk}/accept/")
    request.refresh_from_db()
    assert request.state == "accepted"
    assert client.post(f"/contracts/refund-requests/{request.pk}/maybe/").status_code == 404


def test_a_full_refund_retried_with_its_key_finds_the_refund_it_made():
    contract, payment = paid()
    args = {
        "freelancer": contract.freelancer,
        "contract": contract,
        "payment": payment,
        "amount": Money(60_000),
        "reason": "Cancelled project",
        "key": "full",
    }
    first = refund_make(**args)
    assert refund_make(**args) == first
