"""Two invoice runs at once bill a contract-week once, and two review closes pay it once, 200
times over. The contract's row lock orders them: the second finds the invoice (or the paid
state) and does nothing. An invoice charged to the contract's card takes the card's money
into review before another payment of the client's from the balance can spend it. PostgreSQL
only (SQLite has a single writer)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from django.db import connection, connections

from openlance.billing.checks import payment_violations
from openlance.billing.models import CardCharge, CardChargeState, Payment
from openlance.billing.services import funds_deposit
from openlance.contracts.hourly import weeks
from openlance.contracts.hourly.services import (
    _charge_by_card,
    contract_hourly_card_set,
    hourly_review_close_run_due,
    invoice_issue,
)
from openlance.contracts.models import Bonus, Contract, HourlyInvoice, InvoiceState, TimeEntry
from openlance.contracts.payments.bonuses import bonus_pay
from openlance.contracts.tests.factories import contract_fixed, contract_hourly
from openlance.core import clock
from openlance.core.errors import InsufficientFunds
from openlance.core.money import Money
from openlance.core.tests.racers import Racers
from openlance.ledger.checks import ledger_violations
from openlance.ledger.models import AccountKind, Transfer
from openlance.ledger.services import account_for

TRIALS = 200
FIRST_WEEK = datetime(2022, 1, 3, tzinfo=UTC)  # a Monday
NOW = FIRST_WEEK + timedelta(weeks=TRIALS + 3)

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row-lock races need PostgreSQL (.ci/run runs it)"
)


def weeks_of_time(count: int) -> tuple[Contract, list]:
    """An hourly contract with an hour logged in each of `count` past weeks (written straight
    in: the weeks are long locked) and a balance that pays for all of them."""
    with clock.frozen_at(FIRST_WEEK):
        contract = contract_hourly(rate_cents=4_000)
    TimeEntry.objects.bulk_create(
        TimeEntry(
            contract=contract,
            started_at=FIRST_WEEK + timedelta(weeks=n, hours=9),
            ended_at=FIRST_WEEK + timedelta(weeks=n, hours=10),
            memo="Work",
            source="tracked",
            created_at=FIRST_WEEK,
            updated_at=FIRST_WEEK,
        )
        for n in range(count)
    )
    funds_deposit(
        user=contract.client, amount=Money(1_000_000), payment_method="pm_card_visa", key="race"
    )
    return contract, [(FIRST_WEEK + timedelta(weeks=n)).date() for n in range(count)]


def race(target: Callable[[], object], outcomes: list[object], lock: threading.Lock) -> None:
    barrier = threading.Barrier(2)

    def run() -> None:
        try:
            barrier.wait()
            result = target()
            with lock:
                outcomes.append(result)
        finally:
            connections.close_all()

    pair = [threading.Thread(target=run) for _ in range(2)]
    for thread in pair:
        thread.start()
    for thread in pair:
        thread.join()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_invoice_runs_bill_a_week_once_and_two_closes_pay_it_once():
    contract, billing_weeks = weeks_of_time(TRIALS)
    outcomes: list[object] = []
    lock = threading.Lock()
    for week in billing_weeks:
        race(lambda week=week: invoice_issue(contract=contract, week=week, now=NOW), outcomes, lock)
    issued = [outcome for outcome in outcomes if outcome is not None]
    assert len(issued) == TRIALS
    assert outcomes.count(None) == TRIALS
    assert HourlyInvoice.objects.filter(contract=contract).count() == TRIALS
    charges = Transfer.objects.filter(kind="hourly_charge", metadata__contract_id=contract.pk)
    assert charges.count() == TRIALS
    assert set(HourlyInvoice.objects.values_list("state", flat=True)) == {InvoiceState.IN_REVIEW}

    closes: list[object] = []
    later = weeks.review_ends_at(billing_weeks[-1])
    for _ in range(TRIALS // 20):
        race(lambda: hourly_review_close_run_due(now=later), closes, lock)
    assert sum(result["paid"] for result in closes) == TRIALS  # type: ignore[index]
    assert Payment.objects.filter(relationship__client=contract.client).count() == TRIALS
    assert set(HourlyInvoice.objects.values_list("state", flat=True)) == {InvoiceState.PAID}
    assert ledger_violations() == []


def unpaid_by_card() -> HourlyInvoice:
    """An hourly contract's invoice of three hours ($120 and fees) left unpaid by an empty
    balance, with a card chosen for the contract: the next run charges it to the card."""
    with clock.frozen_at(FIRST_WEEK):
        contract = contract_hourly(rate_cents=4_000)
    TimeEntry.objects.create(
        contract=contract,
        started_at=FIRST_WEEK + timedelta(hours=9),
        ended_at=FIRST_WEEK + timedelta(hours=12),
        memo="Work",
        source="tracked",
        created_at=FIRST_WEEK,
        updated_at=FIRST_WEEK,
    )
    invoice = invoice_issue(contract=contract, week=FIRST_WEEK.date(), now=NOW)
    assert invoice is not None
    assert invoice.state == InvoiceState.UNPAID
    contract_hourly_card_set(user=contract.client, contract=contract, card="pm_card_visa")
    return invoice


def _bonus_once_booked(*, invoice: HourlyInvoice, contract: Contract, key: str) -> object:
    """Pay a $100 bonus ($103 with the fee, less than the invoice's total) on `contract` from
    the balance the moment the invoice's card charge is booked."""
    deadline = time.monotonic() + 10
    booked = CardCharge.objects.filter(
        subject=f"hourly_invoice:{invoice.pk}", state=CardChargeState.BOOKED
    )
    while not booked.exists() and time.monotonic() < deadline:
        time.sleep(0.0005)
    return bonus_pay(client=contract.client, contract=contract, amount=Money(10_000), key=key)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_invoice_charged_to_the_card_is_never_left_unpaid_by_a_balance_payment(
    race: Racers,
):
    """The invoice run charges an invoice to the contract's card while the client pays a
    bonus on another contract from an empty balance the moment the card's charge is booked:
    the card's money must be in review by then, so the invoice is always charged, the bonus
    refused, and the balance ends empty."""
    for trial in range(20):
        invoice = unpaid_by_card()
        client = invoice.contract.client
        other = contract_fixed(client=client)
        charged, bonus = race(
            partial(_charge_by_card, invoice.pk, NOW),
            partial(_bonus_once_booked, invoice=invoice, contract=other, key=f"race:{trial}"),
        )
        assert charged is True, (trial, repr(charged))
        invoice.refresh_from_db()
        assert (invoice.state, invoice.failure_reason) == (InvoiceState.IN_REVIEW, ""), trial
        assert isinstance(bonus, InsufficientFunds), (trial, repr(bonus))
        assert not Bonus.objects.filter(contract=other).exists()
        assert account_for(kind=AccountKind.CLIENT_FUNDING, owner=client).balance_cents == 0
    assert ledger_violations() == []
    assert payment_violations() == []
