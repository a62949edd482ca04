"""Two invoice runs at once bill a contract-week once, and two review closes pay it once, 200
times over. The contract's row lock orders them: the second finds the invoice (or the paid
state) and does nothing. PostgreSQL only (SQLite has a single writer)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections

from openlance.billing.models import Payment
from openlance.billing.services import funds_deposit
from openlance.contracts.hourly import weeks
from openlance.contracts.hourly.services import hourly_review_close_run_due, invoice_issue
from openlance.contracts.models import Contract, HourlyInvoice, InvoiceState, TimeEntry
from openlance.contracts.tests.factories import contract_hourly
from openlance.core import clock
from openlance.core.money import Money
from openlance.ledger.checks import ledger_violations
from openlance.ledger.models import Transfer

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
