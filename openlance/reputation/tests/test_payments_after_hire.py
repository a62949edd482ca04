"""Bonuses and refunds weigh a contract in the Job Success Score by what it paid (reviews'
`contract_values`): a bonus adds to it, a refund takes away. Here, above both apps."""

from __future__ import annotations

import pytest

from openlance.billing.services import funds_deposit
from openlance.contracts.payments.bonuses import bonus_pay
from openlance.contracts.payments.refunds import refund_make
from openlance.core.money import Money
from openlance.reviews.selectors import contract_values
from openlance.reviews.tests.factories import ended_contract

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("assert_ledger_sound")]


def test_a_bonus_adds_to_the_contract_value_and_its_refund_takes_away():
    contract = ended_contract(paid_cents=30_000)
    funds_deposit(
        user=contract.client, amount=Money(20_000), payment_method="pm_card_visa", key="b"
    )
    bonus = bonus_pay(client=contract.client, contract=contract, amount=Money(10_000), key="b")
    assert contract_values(contract_ids=[contract.pk]) == {contract.pk: 40_000}
    refund_make(
        freelancer=contract.freelancer,
        contract=contract,
        payment=bonus.payment,
        amount=Money(4_000),
        reason="Too generous",
        key="r",
    )
    assert contract_values(contract_ids=[contract.pk]) == {contract.pk: 36_000}
