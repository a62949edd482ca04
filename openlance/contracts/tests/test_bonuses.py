"""Bonuses (SPEC §7.3, §8.2, §8.3): the client pays any amount while the contract runs or up
to 365 days after it ended, with the marketplace fee on top; the freelancer pays the sliding
service fee on the relationship's billings; a retried request pays once."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from openlance.accounts.services import token_create
from openlance.accounts.tests.factories import UserFactory
from openlance.billing import gateway as gw
from openlance.billing import services as billing_services
from openlance.billing.models import (
    CardCharge,
    CardChargeState,
    Payment,
    PaymentKind,
    PendingEarning,
    Relationship,
    SandboxOperation,
)
from openlance.billing.services import funds_deposit
from openlance.billing.tests.gateways import DeclinesFirst
from openlance.contracts.endings import contract_end
from openlance.contracts.models import Bonus, Contract
from openlance.contracts.payments import bonuses
from openlance.contracts.payments.bonuses import bonus_pay
from openlance.contracts.tests.factories import contract_fixed, contract_hourly
from openlance.core import clock
from openlance.core.errors import (
    Conflict,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidInput,
    NotFound,
    PaymentDeclined,
)
from openlance.core.money import Money
from openlance.core.services import outbox_drain
from openlance.ledger.models import AccountKind, LedgerAccount, Transfer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("assert_ledger_sound")]


def funded(cents: int = 100_000) -> Contract:
    contract = contract_fixed()
    funds_deposit(
        user=contract.client, amount=Money(cents), payment_method="pm_card_visa", key="top-up"
    )
    return contract


def client_balance(contract: Contract) -> int:
    return (
        LedgerAccount.objects.filter(kind=AccountKind.CLIENT_FUNDING, owner=contract.client)
        .values_list("balance_cents", flat=True)
        .first()
    ) or 0


def test_a_bonus_pays_the_freelancer_less_the_sliding_fee_and_the_client_the_fee_on_top():
    contract = funded()
    now = clock.now()
    with clock.frozen_at(now):
        bonus = bonus_pay(
            client=contract.client,
            contract=contract,
            amount=Money(60_000),
            note="Thank you for the extra care.",
            key="k1",
        )
    assert (bonus.amount_cents, bonus.marketplace_fee_cents, bonus.total_cents) == (
        60_000,
        1_800,
        61_800,
    )
    payment = bonus.payment
    assert payment.kind == PaymentKind.BONUS
    # SPEC §8.2 worked example: a first $600 payment pays $100 + $10 and nets $490.
    assert (payment.gross_cents, payment.fee_cents, payment.net_cents) == (60_000, 11_000, 49_000)
    assert client_balance(contract) == 100_000 - 61_800
    relationship = Relationship.objects.get(freelancer=contract.freelancer, client=contract.client)
    assert (relationship.gross_cents, relationship.payments) == (60_000, 1)
    earning = PendingEarning.objects.get(freelancer=contract.freelancer)
    assert earning.amount_cents == 49_000
    assert earning.available_at == bonus.created_at + timedelta(days=5) == now + timedelta(days=5)
    # The same request again pays nothing more; the same key for another amount is refused.
    assert bonus_pay(client=contract.client, contract=contract, amount=Money(60_000), key="k1") == (
        bonus
    )
    with pytest.raises(IdempotencyConflict):
        bonus_pay(client=contract.client, contract=contract, amount=Money(5_000), key="k1")
    assert Bonus.objects.count() == 1
    outbox_drain(now=clock.now())
    sent = [m for m in mail.outbox if "A bonus of $600.00" in m.subject]
    assert [m.to[0] for m in sent] == [contract.freelancer.email]
    assert "$490.00" in sent[0].body
    assert "extra care" in sent[0].body


def test_a_balance_short_of_the_total_pays_nothing_and_a_card_pays_instead():
    contract = funded(10_000)
    with pytest.raises(InsufficientFunds, match="does not cover"):
        bonus_pay(client=contract.client, contract=contract, amount=Money(10_000), key="k")
    assert client_balance(contract) == 10_000
    with pytest.raises(PaymentDeclined):
        bonus_pay(
            client=contract.client,
            contract=contract,
            amount=Money(10_000),
            payment_method="pm_card_declined",
            key="k2",
        )
    assert not Bonus.objects.exists()
    bonus = bonus_pay(
        client=contract.client,
        contract=contract,
        amount=Money(10_000),
        payment_method="pm_card_visa",
        key="k3",
    )
    charge = CardCharge.objects.get(subject__startswith=f"bonus:{contract.pk}:", state="booked")
    assert charge.amount_cents == bonus.total_cents == 10_300
    assert client_balance(contract) == 10_000  # the card paid the bonus, the balance stayed


def test_a_bonus_refused_while_its_card_is_charged_leaves_the_money_on_the_balance(
    monkeypatch: pytest.MonkeyPatch,
):
    """The booking pays the bonus in its own transaction; when the contract no longer takes
    a bonus by then (it ended over a year ago), the charge is still booked, its money stays
    on the balance, and the client is told why no bonus was paid."""
    contract = contract_fixed()
    real = gw.SandboxGateway.charge

    def charge(self: gw.SandboxGateway, **kwargs: Any) -> gw.ChargeResult:
        result = real(self, **kwargs)
        Contract.objects.filter(pk=contract.pk).update(
            state="ended", ended_at=clock.now() - timedelta(days=400)
        )
        return result

    monkeypatch.setattr(gw.SandboxGateway, "charge", charge)
    with pytest.raises(Conflict, match="365 days"):
        bonus_pay(
            client=contract.client,
            contract=contract,
            amount=Money(10_000),
            payment_method="pm_card_visa",
            key="k",
        )
    assert CardCharge.objects.get().state == CardChargeState.BOOKED
    assert client_balance(contract) == 10_300
    assert not Bonus.objects.exists()
    assert not Payment.objects.exists()
    assert not Transfer.objects.filter(kind="bonus_fee").exists()


def test_a_card_charge_whose_answer_was_lost_pays_the_retried_bonus_once(
    monkeypatch: pytest.MonkeyPatch, lose_card_answers: Callable[[], None]
):
    """The gateway charged the card but its answer was lost; the retry settles that charge,
    whose booking pays the bonus, and charges nothing more (its money is spent on the bonus,
    not left on the balance, which is no reason to charge again)."""
    contract = contract_fixed()
    pay = {
        "client": contract.client,
        "contract": contract,
        "amount": Money(10_000),
        "payment_method": "pm_card_visa",
        "key": "k",
    }
    lose_card_answers()
    with pytest.raises(gw.PaymentGatewayUnavailable):
        bonus_pay(**pay)
    assert not Bonus.objects.exists()
    monkeypatch.undo()
    bonus = bonus_pay(**pay)
    assert bonus.total_cents == 10_300
    assert SandboxOperation.objects.filter(kind="charge").count() == 1
    assert list(CardCharge.objects.values_list("state", flat=True)) == [CardChargeState.BOOKED]
    assert client_balance(contract) == 0
    assert bonus_pay(**pay) == bonus


def test_a_bonus_paid_by_card_in_two_tabs_at_once_is_charged_once(
    monkeypatch: pytest.MonkeyPatch,
):
    """Two requests with one key: the first books its charge and pays the bonus while the
    second is between reading the bonus's card charges and asking whether it is paid, the
    worst moment. The second then charges under the first's key (so the gateway answers with
    the first charge) or finds the bonus paid: never a second charge."""
    contract = contract_fixed()
    pay = {
        "client": contract.client,
        "contract": contract,
        "amount": Money(10_000),
        "payment_method": "pm_card_visa",
        "key": "two-tabs",
    }
    real = bonuses.charge_card_to_balance
    first_done: list[Bonus] = []

    def second_request(**kwargs: Any) -> None:
        if first_done:  # the first request, running inside the second's
            return real(**kwargs)

        def paid_as_seen_a_moment_ago() -> bool:
            first_done.append(Bonus())  # from here on, calls are the first request's
            first_done[0] = bonus_pay(**pay)  # which finishes now
            return False

        return real(**{**kwargs, "paid": paid_as_seen_a_moment_ago})

    monkeypatch.setattr(bonuses, "charge_card_to_balance", second_request)
    bonus = bonus_pay(**pay)
    assert first_done == [bonus]
    assert SandboxOperation.objects.filter(kind="charge").count() == 1
    assert Bonus.objects.count() == 1
    assert client_balance(contract) == 0


@pytest.mark.parametrize("payment_method", ["balance", "pm_card_visa"])
def test_a_bonus_locks_every_account_of_its_transfers_before_the_first_posts(
    account_locks: Any, payment_method: str
):
    """The fee and the payment (and, by card, the deposit before them) are several transfers
    in one transaction: their accounts are locked in one sweep first, so the bonus never
    holds some while it waits for the others in a cycle with another payment."""
    contract = funded()
    account_locks.clear()
    bonus_pay(
        client=contract.client,
        contract=contract,
        amount=Money(10_000),
        payment_method=payment_method,
        key="swept",
    )
    kinds = [kind for kind, _ in account_locks]
    assert kinds.count("transfer") == (2 if payment_method == "balance" else 3)
    account_locks.assert_swept()


def test_who_may_pay_a_bonus_and_until_when():
    contract = funded()
    with pytest.raises(Conflict, match="client"):
        bonus_pay(client=contract.freelancer, contract=contract, amount=Money(1_000), key="a")
    with pytest.raises(NotFound):
        bonus_pay(client=UserFactory(), contract=contract, amount=Money(1_000), key="b")
    with pytest.raises(InvalidInput) as bad:
        bonus_pay(client=contract.client, contract=contract, amount=Money(50), key="c")
    assert "amount" in bad.value.field_errors
    hourly = contract_hourly(client=contract.client)
    funds_deposit(user=hourly.client, amount=Money(5_000), payment_method="pm_card_visa", key="h")
    ended = contract_end(user=hourly.client, contract=hourly)
    assert ended.ended_at is not None
    with clock.frozen_at(ended.ended_at + timedelta(days=365)):
        bonus_pay(client=hourly.client, contract=hourly, amount=Money(1_000), key="d")
    with (
        clock.frozen_at(ended.ended_at + timedelta(days=366)),
        pytest.raises(Conflict, match="365 days"),
    ):
        bonus_pay(client=hourly.client, contract=hourly, amount=Money(1_000), key="e")


def test_the_api_pays_once_per_idempotency_key_and_both_sides_list_bonuses():
    contract = funded()
    auth = {"Authorization": f"Bearer {token_create(user=contract.client, name='t')[1]}"}
    path = f"/api/v1/contracts/{contract.pk}/bonuses"
    body = json.dumps({"amount": {"amount": "25.00"}, "note": "Great work"})
    first = Client().post(
        path, body, content_type="application/json", headers={**auth, "Idempotency-Key": "x1"}
    )
    assert first.status_code == 201, first.content
    again = Client().post(
        path, body, content_type="application/json", headers={**auth, "Idempotency-Key": "x1"}
    )
    assert again.json()["id"] == first.json()["id"]
    assert Bonus.objects.count() == 1
    out = first.json()
    assert (out["amount"]["amount"], out["marketplace_fee"]["amount"], out["total"]["amount"]) == (
        "25.00",
        "0.75",
        "25.75",
    )
    freelancer = {"Authorization": f"Bearer {token_create(user=contract.freelancer, name='t')[1]}"}
    listed = Client().get(path, headers=freelancer).json()
    assert [item["id"] for item in listed["items"]] == [out["id"]]
    bad = Client().post(
        path,
        json.dumps({"amount": {"amount": "0.10"}}),
        content_type="application/json",
        headers=auth,
    )
    assert bad.status_code == 422
    stranger = {"Authorization": f"Bearer {token_create(user=UserFactory(), name='t')[1]}"}
    assert (
        Client().post(path, body, content_type="application/json", headers=stranger).status_code
        == 404
    )


def test_the_room_shows_bonuses_and_the_client_pays_one_from_its_form(client):
    contract = funded(20_000)
    client.force_login(contract.client)
    room = client.get(f"/contracts/{contract.pk}/").content.decode()
    assert "Pay a bonus" in room
    assert "No bonus paid on this contract." in room
    url = f"/contracts/{contract.pk}/bonuses/"
    short = client.post(url, {"amount": "500", "pay_with": "balance", "key": "f1"})
    assert short.status_code == 200
    assert "does not cover" in short.content.decode()
    done = client.post(url, {"amount": "50", "pay_with": "balance", "key": "f2", "note": "Thanks!"})
    assert done.status_code == 302
    client.post(url, {"amount": "50", "pay_with": "balance", "key": "f2"})  # a double submit
    assert Bonus.objects.count() == 1
    client.force_login(contract.freelancer)
    room = client.get(f"/contracts/{contract.pk}/").content.decode()
    assert "$50.00" in room
    assert "Thanks!" in room
    assert "Pay a bonus" not in room


def test_a_declined_card_can_be_tried_again_for_the_same_bonus(monkeypatch):
    gateway = DeclinesFirst()
    monkeypatch.setattr(billing_services, "payment_gateway", lambda: gateway)
    contract = contract_fixed()
    pay = partial(
        bonus_pay,
        client=contract.client,
        contract=contract,
        amount=Money(10_000),
        payment_method="pm_card_visa",
        key="thanks",
    )
    with pytest.raises(PaymentDeclined):
        pay()
    # The same request again, once the bank lets it through: a new attempt, paid once.
    bonus = pay()
    assert pay() == bonus
    assert len(gateway.answers) == 2
    assert Bonus.objects.count() == 1
    assert client_balance(contract) == 0
