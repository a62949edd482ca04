"""Hourly work week by week (SPEC §7.2) with a frozen clock: time entries and their rules,
the Monday noon invoice capped at the weekly limit, a charge the balance cannot cover, the
review until Friday 23:59 and the money available on the Wednesday after."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openlance.accounts.tests.factories import UserFactory
from openlance.billing import gateway as gw
from openlance.billing.gateway import idempotency_key_digest
from openlance.billing.models import (
    CardCharge,
    CardChargePurpose,
    Payment,
    PaymentKind,
    PendingEarning,
    SandboxOperation,
)
from openlance.billing.services import card_charge, funds_deposit
from openlance.billing.tests.factories import saved_card
from openlance.contracts.endings import contract_end
from openlance.contracts.hourly import weeks
from openlance.contracts.hourly.services import (
    _move,
    contract_hourly_card_set,
    contract_pause,
    contract_resume,
    hourly_invoice_run_due,
    hourly_review_close_run_due,
    in_review_account,
    invoice_dispute_freeze,
    invoice_issue,
    time_entry_add,
    time_entry_delete,
    time_entry_update,
)
from openlance.contracts.models import (
    CONTRACT_TRANSITIONS,
    INVOICE_TRANSITIONS,
    Contract,
    ContractState,
    HourlyInvoice,
    InvoiceState,
    TimeEntry,
    TimeEntrySource,
)
from openlance.contracts.payments.bonuses import bonus_pay
from openlance.contracts.tests.factories import contract_hourly
from openlance.core import clock
from openlance.core.errors import (
    Conflict,
    IdempotencyConflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
)
from openlance.core.money import Money
from openlance.ledger.checks import ledger_violations
from openlance.ledger.models import AccountKind, Transfer
from openlance.ledger.services import account_for, platform_account
from openlance.profiles.models import ClientProfile

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("assert_ledger_sound")]

MONDAY = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
WEEK = MONDAY.date()
HOUR = timedelta(hours=1)


def hired(*, manual: bool = True, limit: int = 20, rate_cents: int = 4_000) -> Contract:
    with clock.frozen_at(MONDAY + timedelta(hours=8)):
        contract = contract_hourly(rate_cents=rate_cents)
    Contract.objects.filter(pk=contract.pk).update(
        manual_time_allowed=manual, weekly_limit_hours=limit
    )
    contract.refresh_from_db()
    return contract


def log(contract: Contract, start: datetime, hours: float, **extra: object) -> TimeEntry:
    extra.setdefault("source", TimeEntrySource.TRACKED)
    extra.setdefault("memo", "Worked on the API")
    with clock.frozen_at(start + timedelta(hours=hours)):
        return time_entry_add(
            user=contract.freelancer,
            contract=contract,
            started_at=start,
            ended_at=start + timedelta(hours=hours),
            **extra,  # type: ignore[arg-type]
        )


def top_up(contract: Contract, cents: int) -> None:
    funds_deposit(
        user=contract.client,
        amount=Money(cents),
        payment_method="pm_card_visa",
        key=f"top-up:{contract.pk}:{cents}",
    )


def balance(kind: AccountKind, **owner: object) -> int:
    account = account_for(kind=kind, **owner)  # type: ignore[arg-type]
    account.refresh_from_db()
    return account.balance_cents


# --- the calendar -------------------------------------------------------------------------


def test_the_billing_calendar_of_a_week():
    assert weeks.week_of(MONDAY + timedelta(days=6, hours=23, minutes=59)) == WEEK
    assert weeks.week_of(MONDAY + timedelta(days=7)) == date(2026, 11, 9)
    assert weeks.week_locks_at(WEEK) == datetime(2026, 11, 9, 12, tzinfo=UTC)
    assert weeks.review_ends_at(WEEK) == datetime(2026, 11, 14, tzinfo=UTC)  # after Fri 23:59
    assert weeks.available_at(WEEK) == datetime(2026, 11, 18, tzinfo=UTC)  # a Wednesday
    assert weeks.available_at(WEEK).weekday() == 2
    assert weeks.last_locked_week(datetime(2026, 11, 9, 11, 59, tzinfo=UTC)) == date(2026, 10, 26)
    assert weeks.last_locked_week(datetime(2026, 11, 9, 12, tzinfo=UTC)) == WEEK
    assert weeks.amount_cents(20 * 3600 + 30, 4_000) == 80_033  # $0.333 rounds down
    assert weeks.amount_cents(45, 4_000) == 50  # exactly half a cent rounds up
    assert weeks.billable_seconds(25 * 3600, 20) == 20 * 3600
    assert weeks.hours_text(7 * 3600 + 5 * 60 + 59) == "7:05"


# --- time entries -------------------------------------------------------------------------


def test_entries_never_overlap_lie_in_the_future_or_cross_a_week():
    contract = hired()
    log(contract, MONDAY + timedelta(hours=9), 2)
    with pytest.raises(Conflict, match="overlaps"):
        log(contract, MONDAY + timedelta(hours=10), 2)
    log(contract, MONDAY + timedelta(hours=11), 1)  # touching is not overlapping
    with clock.frozen_at(MONDAY + timedelta(hours=13)), pytest.raises(InvalidInput, match="future"):
        time_entry_add(
            user=contract.freelancer,
            contract=contract,
            started_at=MONDAY + timedelta(hours=12),
            ended_at=MONDAY + timedelta(hours=14),
            memo="",
            source=TimeEntrySource.TRACKED,
        )
    sunday_night = MONDAY + timedelta(days=6, hours=23)
    with pytest.raises(InvalidInput, match="one billing week"):
        log(contract, sunday_night, 2)
    with clock.frozen_at(MONDAY + timedelta(days=2)), pytest.raises(InvalidInput, match="offset"):
        time_entry_add(
            user=contract.freelancer,
            contract=contract,
            started_at=datetime(2026, 11, 3, 9),  # naive
            ended_at=datetime(2026, 11, 3, 10),
            memo="",
            source=TimeEntrySource.TRACKED,
        )
    with pytest.raises(InvalidInput, match="had not started"):
        log(contract, MONDAY + timedelta(hours=6), 1)
    assert TimeEntry.objects.filter(contract=contract).count() == 2


def test_only_the_freelancer_logs_and_manual_time_only_where_allowed():
    contract = hired(manual=False)
    start = MONDAY + timedelta(days=1, hours=9)
    with clock.frozen_at(start + 2 * HOUR):
        with pytest.raises(Conflict, match="freelancer"):
            time_entry_add(
                user=contract.client,
                contract=contract,
                started_at=start,
                ended_at=start + HOUR,
                memo="",
                source=TimeEntrySource.TRACKED,
            )
        with pytest.raises(NotFound):
            time_entry_add(
                user=UserFactory(),
                contract=contract,
                started_at=start,
                ended_at=start + HOUR,
                memo="",
                source=TimeEntrySource.TRACKED,
            )
    with pytest.raises(Conflict, match="manual time"):
        log(contract, start, 1, source=TimeEntrySource.MANUAL)
    entry = log(contract, start, 1)
    later = start + timedelta(hours=3)
    with clock.frozen_at(later), pytest.raises(Conflict, match="tracked times"):
        time_entry_update(
            user=contract.freelancer,
            entry=entry,
            started_at=start,
            ended_at=start + 2 * HOUR,
            memo="More",
        )
    with clock.frozen_at(later):
        entry = time_entry_update(
            user=contract.freelancer,
            entry=entry,
            started_at=start,
            ended_at=start + HOUR,
            memo="Only the memo",
        )
    assert (entry.memo, entry.source) == ("Only the memo", TimeEntrySource.TRACKED)


def test_new_times_make_a_tracked_entry_manual():
    contract = hired(manual=True)
    start = MONDAY + timedelta(days=1, hours=9)
    entry = log(contract, start, 1)
    with clock.frozen_at(start + 4 * HOUR):
        entry = time_entry_update(
            user=contract.freelancer,
            entry=entry,
            started_at=start,
            ended_at=start + 3 * HOUR,
            memo="Longer",
        )
    assert (entry.seconds, entry.source) == (3 * 3600, TimeEntrySource.MANUAL)


def test_a_tracker_upload_retried_with_its_key_never_doubles_time():
    contract = hired()
    start = MONDAY + timedelta(days=2, hours=9)
    first = log(contract, start, 2, key="tracker-1")
    again = log(contract, start, 2, key="tracker-1")
    assert again.pk == first.pk
    with pytest.raises(IdempotencyConflict):
        log(contract, start, 3, key="tracker-1")
    assert TimeEntry.objects.filter(contract=contract).count() == 1


def test_last_week_changes_until_monday_1159_and_then_is_locked():
    contract = hired()
    entry = log(contract, MONDAY + timedelta(days=4, hours=9), 2)
    before_lock = datetime(2026, 11, 9, 11, 59, 59, tzinfo=UTC)
    with clock.frozen_at(before_lock):
        time_entry_update(
            user=contract.freelancer,
            entry=entry,
            started_at=entry.started_at,
            ended_at=entry.ended_at,
            memo="Final memo",
        )
        late = time_entry_add(
            user=contract.freelancer,
            contract=contract,
            started_at=MONDAY + timedelta(days=5, hours=9),
            ended_at=MONDAY + timedelta(days=5, hours=10),
            memo="Saturday",
            source=TimeEntrySource.MANUAL,
        )
    with clock.frozen_at(before_lock + timedelta(seconds=1)):
        with pytest.raises(Conflict, match="locked"):
            time_entry_delete(user=contract.freelancer, entry=late)
        with pytest.raises(Conflict, match="locked"):
            time_entry_add(
                user=contract.freelancer,
                contract=contract,
                started_at=MONDAY + timedelta(days=6, hours=9),
                ended_at=MONDAY + timedelta(days=6, hours=10),
                memo="",
                source=TimeEntrySource.MANUAL,
            )
    assert TimeEntry.objects.filter(contract=contract).count() == 2


# --- invoices and money -------------------------------------------------------------------


def test_a_week_is_invoiced_monday_noon_capped_at_the_limit_and_paid_after_review():
    contract = hired(limit=20, rate_cents=4_000)
    top_up(contract, 100_000)
    for day in range(5):
        log(contract, MONDAY + timedelta(days=day, hours=9), 5)  # 25 h, limit 20
    noon = datetime(2026, 11, 9, 12, tzinfo=UTC)
    assert hourly_invoice_run_due(now=noon - timedelta(seconds=1))["issued"] == 0
    result = hourly_invoice_run_due(now=noon)
    assert result == {"issued": 1, "charged_again": 0, "unpaid": 0}
    assert hourly_invoice_run_due(now=noon)["issued"] == 0  # safe to repeat
    invoice = HourlyInvoice.objects.get(contract=contract)
    assert (invoice.seconds_logged, invoice.seconds_billed) == (25 * 3600, 20 * 3600)
    assert invoice.amount_cents == 80_000  # 20 h x $40, the 5 h over the limit unbilled
    assert invoice.marketplace_fee_cents == 2_400  # 3%
    assert invoice.initiation_fee_cents == 295  # the contract's first payment
    assert invoice.state == InvoiceState.IN_REVIEW
    assert balance(AccountKind.CLIENT_FUNDING, owner=contract.client) == 100_000 - 82_695
    assert in_review_account(contract).balance_cents == 80_000
    assert set(TimeEntry.objects.values_list("invoice_id", flat=True)) == {invoice.pk}
    # The client reviews until Friday 23:59; the money moves at Saturday 00:00.
    saturday = weeks.review_ends_at(WEEK)
    nothing = {"paid": 0, "protected": 0}
    assert hourly_review_close_run_due(now=saturday - timedelta(seconds=1)) == nothing
    with clock.frozen_at(saturday):
        assert hourly_review_close_run_due(now=saturday) == {"paid": 1, "protected": 0}
        assert hourly_review_close_run_due(now=saturday) == nothing
    invoice.refresh_from_db()
    assert invoice.state == InvoiceState.PAID
    payment = Payment.objects.get()
    assert payment.kind == PaymentKind.HOURLY_INVOICE
    # Sliding fee: 20% of the first $500, 10% of the next $300.
    assert (payment.gross_cents, payment.fee_cents, payment.net_cents) == (80_000, 13_000, 67_000)
    earning = PendingEarning.objects.get(freelancer=contract.freelancer)
    assert earning.available_at == datetime(2026, 11, 18, tzinfo=UTC)
    assert in_review_account(contract).balance_cents == 0


def test_a_charge_the_balance_cannot_cover_leaves_the_invoice_unpaid_until_funds_arrive():
    contract = hired(limit=40)
    log(contract, MONDAY + timedelta(hours=9), 3)
    noon = datetime(2026, 11, 9, 12, tzinfo=UTC)
    assert hourly_invoice_run_due(now=noon) == {"issued": 1, "charged_again": 0, "unpaid": 1}
    invoice = HourlyInvoice.objects.get()
    assert invoice.state == InvoiceState.UNPAID
    assert "balance does not cover" in invoice.failure_reason
    # Not protected: the client's payment method was never verified.
    saturday = weeks.review_ends_at(WEEK)
    assert hourly_review_close_run_due(now=saturday) == {"paid": 0, "protected": 0}
    top_up(contract, 50_000)
    later = saturday + HOUR
    assert hourly_invoice_run_due(now=later) == {"issued": 0, "charged_again": 1, "unpaid": 0}
    invoice.refresh_from_db()
    assert (invoice.state, invoice.charged_at, invoice.failure_reason) == (
        InvoiceState.IN_REVIEW,
        later,
        "",
    )


def test_what_the_balance_cannot_cover_is_charged_to_the_contracts_card():
    contract = hired(limit=40)
    contract_hourly_card_set(user=contract.client, contract=contract, card="pm_card_visa")
    log(contract, MONDAY + timedelta(hours=9), 3)
    noon = weeks.week_locks_at(WEEK)
    assert hourly_invoice_run_due(now=noon) == {"issued": 1, "charged_again": 1, "unpaid": 0}
    invoice = HourlyInvoice.objects.get()
    assert (invoice.state, invoice.failure_reason) == (InvoiceState.IN_REVIEW, "")
    deposit = CardCharge.objects.get(subject=f"hourly_invoice:{invoice.pk}")
    assert deposit.amount_cents == invoice.total_cents
    # The card paid the invoice into the balance, and the charge took it into review.
    assert balance(AccountKind.CLIENT_FUNDING, owner=contract.client) == 0
    assert in_review_account(contract).balance_cents == invoice.amount_cents
    assert hourly_invoice_run_due(now=noon + HOUR)["charged_again"] == 0
    assert CardCharge.objects.count() == 1


def test_the_contracts_card_is_one_of_the_clients_own():
    contract = hired(limit=40)
    stranger = UserFactory()
    theirs = saved_card(stranger, "cus_Them/pm_Them")
    with pytest.raises(NotFound):
        contract_hourly_card_set(
            user=contract.client, contract=contract, card=theirs.payment_method
        )
    contract.refresh_from_db()
    assert contract.hourly_card == ""


def test_a_declined_card_is_not_tried_again_and_protection_pays_until_a_card_works():
    contract = hired(limit=40)
    ClientProfile.objects.filter(user=contract.client).update(payment_method_verified=True)
    contract_hourly_card_set(user=contract.client, contract=contract, card="pm_card_declined")
    log(contract, MONDAY + timedelta(hours=9), 3)
    noon = weeks.week_locks_at(WEEK)
    assert hourly_invoice_run_due(now=noon)["unpaid"] == 1
    assert hourly_invoice_run_due(now=noon + HOUR)["unpaid"] == 1
    invoice = HourlyInvoice.objects.get()
    assert "card was declined (card_declined)" in invoice.failure_reason
    assert CardCharge.objects.filter(state="declined").count() == 1  # not charged again
    saturday = weeks.review_ends_at(WEEK)
    assert hourly_review_close_run_due(now=saturday) == {"paid": 0, "protected": 1}
    contract_hourly_card_set(user=contract.client, contract=contract, card="pm_card_visa")
    with clock.frozen_at(saturday + HOUR):
        assert hourly_invoice_run_due(now=saturday + HOUR)["charged_again"] == 1
    invoice.refresh_from_db()
    assert invoice.state == InvoiceState.PAID  # protection repaid, the rest paid
    losses = platform_account(AccountKind.PLATFORM_PROTECTION_LOSSES, spread=contract.client_id)
    losses.refresh_from_db()
    assert losses.balance_cents == 0


def test_a_card_charge_whose_answer_was_lost_is_settled_before_another_card_is_charged(
    monkeypatch: pytest.MonkeyPatch, lose_card_answers: Callable[[], None]
):
    contract = hired(limit=40)
    contract_hourly_card_set(user=contract.client, contract=contract, card="pm_card_visa")
    log(contract, MONDAY + timedelta(hours=9), 3)
    lose_card_answers()
    noon = weeks.week_locks_at(WEEK)
    assert hourly_invoice_run_due(now=noon)["unpaid"] == 1
    monkeypatch.undo()
    # The client switches cards meanwhile: the lost charge is settled and used, not doubled.
    contract_hourly_card_set(user=contract.client, contract=contract, card="pm_card_mastercard")
    with clock.frozen_at(noon + HOUR):
        assert hourly_invoice_run_due(now=noon + HOUR)["unpaid"] == 0
    invoice = HourlyInvoice.objects.get()
    assert invoice.state == InvoiceState.IN_REVIEW
    assert SandboxOperation.objects.filter(kind="charge").count() == 1
    assert balance(AccountKind.CLIENT_FUNDING, owner=contract.client) == 0


def test_card_money_spent_elsewhere_before_the_invoice_took_it_is_charged_again():
    contract = hired(limit=40)
    log(contract, MONDAY + timedelta(hours=9), 3)
    noon = weeks.week_locks_at(WEEK)
    hourly_invoice_run_due(now=noon)
    invoice = HourlyInvoice.objects.get()
    # A card payment for the invoice landed on the balance, and the client spent it on
    # something else before the invoice took it (as a crash between the two steps allows).
    card_charge(
        user=contract.client,
        amount=Money(invoice.total_cents),
        payment_method="pm_card_visa",
        key=f"hourly_invoice:{invoice.pk}:card:{idempotency_key_digest('pm_card_visa')}:"
        f"{invoice.total_cents}:0",
        subject=f"hourly_invoice:{invoice.pk}",
        purpose=CardChargePurpose.DEPOSIT,
        description="x",
        ledger_description="x",
    )
    bonus_pay(client=contract.client, contract=contract, amount=Money(12_000), key="spent")
    contract_hourly_card_set(user=contract.client, contract=contract, card="pm_card_visa")
    with clock.frozen_at(noon + HOUR):
        hourly_invoice_run_due(now=noon + HOUR)
    invoice.refresh_from_db()
    assert invoice.state == InvoiceState.IN_REVIEW
    assert CardCharge.objects.filter(subject=f"hourly_invoice:{invoice.pk}").count() == 2


def test_an_invoice_disputed_while_its_card_is_charged_leaves_the_money_on_the_balance(
    monkeypatch: pytest.MonkeyPatch,
):
    """The booking takes the card's money into review in its own transaction; when the
    client has disputed the invoice by then, it is no longer owed: the charge is still
    booked, its money stays on the balance, and the invoice is not charged."""
    contract = hired(limit=40)
    log(contract, MONDAY + timedelta(hours=9), 3)
    noon = weeks.week_locks_at(WEEK)
    hourly_invoice_run_due(now=noon)
    invoice = HourlyInvoice.objects.get()
    assert invoice.state == InvoiceState.UNPAID
    contract_hourly_card_set(user=contract.client, contract=contract, card="pm_card_visa")
    real = gw.SandboxGateway.charge

    def charge(self: gw.SandboxGateway, **kwargs: Any) -> gw.ChargeResult:
        result = real(self, **kwargs)
        HourlyInvoice.objects.filter(pk=invoice.pk).update(state=InvoiceState.DISPUTED)
        return result

    monkeypatch.setattr(gw.SandboxGateway, "charge", charge)
    assert hourly_invoice_run_due(now=noon + HOUR)["charged_again"] == 0
    assert CardCharge.objects.get().state == "booked"
    assert balance(AccountKind.CLIENT_FUNDING, owner=contract.client) == invoice.total_cents
    invoice.refresh_from_db()
    assert (invoice.state, invoice.charge_id) == (InvoiceState.DISPUTED, None)
    assert not Transfer.objects.filter(kind="hourly_charge").exists()


def test_a_lost_card_answer_settled_by_the_next_run_counts_the_invoice_charged(
    monkeypatch: pytest.MonkeyPatch, lose_card_answers: Callable[[], None]
):
    """The settled charge's booking takes the money into review itself: the run counts the
    invoice as charged, and nothing is charged twice."""
    contract = hired(limit=40)
    contract_hourly_card_set(user=contract.client, contract=contract, card="pm_card_visa")
    log(contract, MONDAY + timedelta(hours=9), 3)
    lose_card_answers()
    noon = weeks.week_locks_at(WEEK)
    assert hourly_invoice_run_due(now=noon)["charged_again"] == 0
    monkeypatch.undo()
    with clock.frozen_at(noon + HOUR):
        run = hourly_invoice_run_due(now=noon + HOUR)
    assert (run["charged_again"], run["unpaid"]) == (1, 0)
    assert HourlyInvoice.objects.get().state == InvoiceState.IN_REVIEW
    assert SandboxOperation.objects.filter(kind="charge").count() == 1
    assert balance(AccountKind.CLIENT_FUNDING, owner=contract.client) == 0


def test_only_the_client_chooses_the_card_and_not_once_the_contract_ended():
    contract = hired()
    with pytest.raises(Conflict, match="client"):
        contract_hourly_card_set(user=contract.freelancer, contract=contract, card="pm_card_visa")
    with pytest.raises(NotFound):
        contract_hourly_card_set(user=UserFactory(), contract=contract, card="pm_card_visa")
    with pytest.raises(InvalidInput):
        contract_hourly_card_set(user=contract.client, contract=contract, card="x" * 101)
    with clock.frozen_at(MONDAY + timedelta(hours=9)):
        contract_end(user=contract.client, contract=contract)
    with pytest.raises(Conflict, match="ended"):
        contract_hourly_card_set(user=contract.client, contract=contract, card="pm_card_visa")
    assert (
        contract_hourly_card_set(user=contract.client, contract=contract, card="").hourly_card == ""
    )


def test_two_weeks_are_two_invoices_and_an_idle_week_none():
    contract = hired()
    top_up(contract, 100_000)
    log(contract, MONDAY + timedelta(hours=9), 1)
    third_week = MONDAY + timedelta(days=14, hours=9)
    log(contract, third_week, 2)
    late = weeks.week_locks_at(third_week.date())
    assert hourly_invoice_run_due(now=late)["issued"] == 2  # a late run catches up
    assert sorted(HourlyInvoice.objects.values_list("week_start", "amount_cents")) == [
        (WEEK, 4_000),
        (third_week.date(), 8_000),
    ]
    # Only the contract's first payment carries the initiation fee.
    assert sorted(HourlyInvoice.objects.values_list("initiation_fee_cents", flat=True)) == [0, 295]


@settings(max_examples=12, deadline=None)
@given(
    lengths=st.lists(st.integers(min_value=60, max_value=6 * 3600), min_size=1, max_size=12),
    limit=st.integers(min_value=1, max_value=40),
    rate=st.integers(min_value=300, max_value=20_000),
)
def test_the_bill_is_min_of_hours_and_limit_times_rate_and_the_books_balance(lengths, limit, rate):
    contract = hired(limit=limit, rate_cents=rate)
    top_up(contract, 5_000_000)
    start = MONDAY + timedelta(hours=9)
    for seconds in lengths:
        log(contract, start, seconds / 3600)
        start += timedelta(seconds=seconds + 60)
        if weeks.week_of(start + timedelta(hours=7)) != WEEK:
            break
    logged = sum(entry.seconds for entry in TimeEntry.objects.filter(contract=contract))
    hourly_invoice_run_due(now=weeks.week_locks_at(WEEK))
    invoice = HourlyInvoice.objects.get(contract=contract)
    billed = min(logged, limit * 3600)
    assert invoice.seconds_billed == billed
    assert invoice.amount_cents == (2 * billed * rate + 3600) // 7200
    assert ledger_violations() == []


def test_hourly_protection_pays_tracked_hours_with_memos_when_the_charge_fails(
    account_locks: Any,
):
    contract = hired(limit=40, rate_cents=5_000)
    ClientProfile.objects.filter(user=contract.client).update(payment_method_verified=True)
    log(contract, MONDAY + timedelta(hours=9), 2)  # tracked, with a memo: protected
    log(contract, MONDAY + timedelta(hours=12), 1, memo="")  # no memo
    log(contract, MONDAY + timedelta(hours=14), 1, source=TimeEntrySource.MANUAL)
    hourly_invoice_run_due(now=weeks.week_locks_at(WEEK))
    invoice = HourlyInvoice.objects.get()
    assert (invoice.state, invoice.amount_cents) == (InvoiceState.UNPAID, 20_000)
    saturday = weeks.review_ends_at(WEEK)
    with clock.frozen_at(saturday):
        assert hourly_review_close_run_due(now=saturday) == {"paid": 0, "protected": 1}
        assert hourly_review_close_run_due(now=saturday) == {"paid": 0, "protected": 0}
    invoice.refresh_from_db()
    assert (invoice.state, invoice.protected_cents) == (InvoiceState.PROTECTED, 10_000)
    assert invoice.protection_payment.gross_cents == 10_000  # 2 h x $50
    losses = platform_account(AccountKind.PLATFORM_PROTECTION_LOSSES, spread=contract.client_id)
    losses.refresh_from_db()
    assert losses.balance_cents == -10_000  # the platform bears it
    assert balance(AccountKind.FREELANCER_PENDING, owner=contract.freelancer) == 8_000
    # The client owes the invoice: once their balance allows, it is charged, the platform
    # is repaid, and the freelancer gets the rest.
    top_up(contract, 50_000)
    later = saturday + timedelta(days=2)
    account_locks.clear()
    with clock.frozen_at(later):
        assert hourly_invoice_run_due(now=later)["charged_again"] == 1
    # The charge, the platform's repayment and the freelancer's payment: one sweep first.
    assert [kind for kind, _ in account_locks].count("transfer") == 3
    account_locks.assert_swept()
    invoice.refresh_from_db()
    assert invoice.state == InvoiceState.PAID
    assert invoice.payment.gross_cents == 10_000
    losses.refresh_from_db()
    assert losses.balance_cents == 0
    assert in_review_account(contract).balance_cents == 0
    assert balance(AccountKind.CLIENT_FUNDING, owner=contract.client) == 50_000 - 20_000 - 600 - 295
    assert sum(Payment.objects.values_list("gross_cents", flat=True)) == 20_000


def test_a_paused_contract_takes_no_time_but_its_logged_time_is_invoiced():
    contract = hired()
    top_up(contract, 50_000)
    log(contract, MONDAY + timedelta(hours=9), 2)
    with pytest.raises(Conflict, match="client"):
        contract_pause(user=contract.freelancer, contract=contract)
    with clock.frozen_at(MONDAY + timedelta(hours=11, minutes=30)):
        contract = contract_pause(user=contract.client, contract=contract)
        assert contract_pause(user=contract.client, contract=contract).state == ContractState.PAUSED
    with pytest.raises(Conflict, match="after the pause"):
        log(contract, MONDAY + timedelta(hours=12), 1)
    hourly_invoice_run_due(now=weeks.week_locks_at(WEEK))
    assert HourlyInvoice.objects.get().seconds_billed == 2 * 3600
    with clock.frozen_at(MONDAY + timedelta(days=7, hours=8)):
        contract = contract_resume(user=contract.client, contract=contract)
    assert contract.state == ContractState.ACTIVE
    log(contract, MONDAY + timedelta(days=7, hours=9), 1)
    # Time from while it was paused stays out, after the resume too.
    with pytest.raises(Conflict, match="paused from"):
        log(contract, MONDAY + timedelta(days=3, hours=9), 1)


def test_pause_and_resume_move_along_the_contract_table():
    contract = hired()
    paused_at = MONDAY + timedelta(hours=10)
    with clock.frozen_at(paused_at):
        contract = contract_pause(user=contract.client, contract=contract)
    assert contract.state == ContractState.PAUSED
    assert list(contract.pauses.values_list("started_at", "ended_at", "cause")) == [
        (paused_at, None, "client")
    ]
    assert ContractState.ACTIVE in CONTRACT_TRANSITIONS[ContractState.PAUSED]
    with clock.frozen_at(paused_at + HOUR):
        contract = contract_resume(user=contract.client, contract=contract)
        assert contract.pauses.get().ended_at == paused_at + HOUR
        contract_end(user=contract.client, contract=contract)
        for move in (contract_pause, contract_resume):
            with pytest.raises(InvalidTransition, match="ended"):
                move(user=contract.client, contract=contract)
    assert CONTRACT_TRANSITIONS[ContractState.ENDED] == set()


def test_a_paused_contract_takes_time_worked_before_the_pause_until_its_week_locks():
    contract = hired()
    top_up(contract, 50_000)
    friday = MONDAY + timedelta(days=4, hours=9)
    entry = log(contract, friday, 2)
    # The client pauses on Monday morning; the freelancer still has until 11:59 to finish
    # last week's timesheet, and may not log anything after the pause.
    next_monday = MONDAY + timedelta(days=7)
    with clock.frozen_at(next_monday + timedelta(hours=9)):
        contract = contract_pause(user=contract.client, contract=contract)
    with clock.frozen_at(next_monday + timedelta(hours=10)):
        before = time_entry_add(
            user=contract.freelancer,
            contract=contract,
            started_at=friday + timedelta(hours=4),
            ended_at=friday + timedelta(hours=6),
            memo="Forgot to log the review call",
            source=TimeEntrySource.MANUAL,
        )
        time_entry_update(
            user=contract.freelancer,
            entry=entry,
            started_at=entry.started_at,
            ended_at=entry.ended_at,
            memo="Checkout page, tests",
        )
        time_entry_delete(user=contract.freelancer, entry=before)
        with pytest.raises(Conflict, match="after the pause"):
            time_entry_add(
                user=contract.freelancer,
                contract=contract,
                started_at=next_monday + timedelta(hours=9, minutes=30),
                ended_at=next_monday + timedelta(hours=9, minutes=50),
                memo="After the pause",
                source=TimeEntrySource.MANUAL,
            )
    with clock.frozen_at(next_monday + timedelta(hours=11, minutes=59, seconds=59)):
        assert (
            time_entry_update(
                user=contract.freelancer,
                entry=entry,
                started_at=entry.started_at,
                ended_at=entry.ended_at + HOUR,
                memo="Checkout page, tests",
            ).source
            == TimeEntrySource.MANUAL
        )
    hourly_invoice_run_due(now=weeks.week_locks_at(WEEK))
    assert HourlyInvoice.objects.get().seconds_billed == 3 * 3600


def test_a_tracked_interval_running_into_a_pause_ends_where_the_pause_began():
    contract = hired(manual=False)
    pause_at = MONDAY + timedelta(hours=11)
    with clock.frozen_at(pause_at):
        contract_pause(user=contract.client, contract=contract)
    upload = {
        "user": contract.freelancer,
        "contract": contract,
        "started_at": MONDAY + timedelta(hours=9),
        "ended_at": MONDAY + timedelta(hours=12),
        "memo": "API work",
        "source": TimeEntrySource.TRACKED,
        "key": "tracker-1",
    }
    with clock.frozen_at(MONDAY + timedelta(hours=12, minutes=5)):
        entry = time_entry_add(**upload)  # type: ignore[arg-type]
        assert (entry.started_at, entry.ended_at) == (MONDAY + timedelta(hours=9), pause_at)
        assert time_entry_add(**upload) == entry  # the tracker's retry finds it  # type: ignore[arg-type]


def test_an_invoice_dispute_pauses_the_contract_from_then():
    contract = hired()
    top_up(contract, 50_000)
    log(contract, MONDAY + timedelta(hours=9), 2)
    hourly_invoice_run_due(now=weeks.week_locks_at(WEEK))
    invoice = HourlyInvoice.objects.get()
    disputed_at = weeks.week_locks_at(WEEK) + timedelta(days=1)
    with clock.frozen_at(disputed_at):
        invoice_dispute_freeze(user=contract.client, invoice=invoice, reason="Two hours too many.")
    pause = contract.pauses.get()
    assert (pause.started_at, pause.ended_at, pause.cause) == (disputed_at, None, "invoice_dispute")
    # Time worked before the dispute, in the open week, is still logged.
    log(contract, MONDAY + timedelta(days=7, hours=9), 1)


def test_money_charged_after_its_review_ended_is_still_held_after_the_charge():
    contract = hired(limit=40)
    log(contract, MONDAY + timedelta(hours=9), 3)
    hourly_invoice_run_due(now=weeks.week_locks_at(WEEK))
    # Unpaid (and unprotected: the card was never verified) for three weeks.
    charged_at = weeks.review_ends_at(WEEK) + timedelta(weeks=3)
    top_up(contract, 50_000)
    with clock.frozen_at(charged_at):
        hourly_invoice_run_due(now=charged_at)
        hourly_review_close_run_due(now=charged_at + HOUR)
    invoice = HourlyInvoice.objects.get()
    assert invoice.state == InvoiceState.PAID
    earning = PendingEarning.objects.get(freelancer=contract.freelancer)
    # Not the Wednesday long past: as long after the charge as a review's end is before
    # its Wednesday (four days).
    assert weeks.available_at(WEEK) < charged_at
    assert earning.available_at == charged_at + timedelta(days=4)
    assert weeks.available_from(WEEK, weeks.week_locks_at(WEEK)) == weeks.available_at(WEEK)


def test_ending_invoices_the_last_partial_week_at_once_even_when_paused():
    contract = hired()
    top_up(contract, 50_000)
    log(contract, MONDAY + timedelta(hours=9), 2)
    hourly_invoice_run_due(now=weeks.week_locks_at(WEEK))  # the first week, with the fee
    log(contract, MONDAY + timedelta(days=8, hours=9), 3)  # Tuesday of the next week
    contract = contract_pause(user=contract.client, contract=contract)
    wednesday = MONDAY + timedelta(days=9)
    with clock.frozen_at(wednesday):
        contract = contract_end(user=contract.freelancer, contract=contract)
    assert contract.state == ContractState.ENDED
    last = HourlyInvoice.objects.get(contract=contract, week_start=WEEK + timedelta(days=7))
    assert (last.seconds_billed, last.amount_cents, last.issued_at) == (3 * 3600, 12_000, wednesday)
    assert last.state == InvoiceState.IN_REVIEW
    assert last.initiation_fee_cents == 0
    # The initiation fee paid with the first invoice stays: work was billed.
    first = HourlyInvoice.objects.get(contract=contract, week_start=WEEK)
    assert first.initiation_fee_cents == 295
    assert not Transfer.objects.filter(kind="initiation_fee_refund").exists()
    # The review still runs its course, and the freelancer is paid.
    saturday = weeks.review_ends_at(WEEK + timedelta(days=7))
    with clock.frozen_at(saturday):
        assert hourly_review_close_run_due(now=saturday)["paid"] == 2


def test_the_initiation_fee_goes_with_one_invoice_even_when_the_first_is_unpaid():
    contract = hired()
    log(contract, MONDAY + timedelta(hours=9), 1)
    log(contract, MONDAY + timedelta(days=7, hours=9), 1)
    hourly_invoice_run_due(now=weeks.week_locks_at(WEEK + timedelta(days=7)))  # both, unpaid
    assert sorted(HourlyInvoice.objects.values_list("initiation_fee_cents", flat=True)) == [0, 295]
    top_up(contract, 50_000)
    hourly_invoice_run_due(now=weeks.week_locks_at(WEEK + timedelta(days=7)) + HOUR)
    assert balance(AccountKind.CLIENT_FUNDING, owner=contract.client) == 50_000 - 2 * 4_120 - 295


def test_time_reaching_an_invoiced_week_is_refused():
    contract = hired()
    entry = log(contract, MONDAY + timedelta(hours=9), 1)
    # The Monday run got the lock first; a request that waited for it still reads 11:59.
    invoice_issue(contract=contract, week=WEEK, now=weeks.week_locks_at(WEEK))
    just_before = weeks.week_locks_at(WEEK) - timedelta(seconds=1)
    with pytest.raises(Conflict, match="locked"):
        log(contract, MONDAY + timedelta(days=6, hours=9), 1)
    with clock.frozen_at(just_before), pytest.raises(Conflict, match="locked"):
        time_entry_delete(user=contract.freelancer, entry=entry)
    assert TimeEntry.objects.filter(invoice__isnull=True).count() == 0


def test_protection_leaves_out_time_uploaded_long_after_it_ended():
    contract = hired(limit=40, rate_cents=5_000)
    ClientProfile.objects.filter(user=contract.client).update(payment_method_verified=True)
    log(contract, MONDAY + timedelta(hours=9), 2)  # uploaded as it stopped
    late = log(contract, MONDAY + timedelta(hours=12), 3)
    TimeEntry.objects.filter(pk=late.pk).update(created_at=late.ended_at + timedelta(days=2))
    hourly_invoice_run_due(now=weeks.week_locks_at(WEEK))
    saturday = weeks.review_ends_at(WEEK)
    with clock.frozen_at(saturday):
        hourly_review_close_run_due(now=saturday)
    assert HourlyInvoice.objects.get().protected_cents == 10_000  # the 2 h only


def test_extreme_times_are_refused_not_a_crash():
    contract = hired()
    with clock.frozen_at(MONDAY + timedelta(days=1)), pytest.raises(InvalidInput, match="range"):
        time_entry_add(
            user=contract.freelancer,
            contract=contract,
            started_at=datetime(9999, 12, 31, 23, tzinfo=UTC),
            ended_at=datetime(9999, 12, 31, 23, 30, tzinfo=UTC),
            memo="",
            source=TimeEntrySource.TRACKED,
        )


def test_the_client_disputes_an_invoice_in_its_review_and_nothing_is_paid():
    contract = hired()
    top_up(contract, 50_000)
    log(contract, MONDAY + timedelta(hours=9), 2)
    hourly_invoice_run_due(now=weeks.week_locks_at(WEEK))
    invoice = HourlyInvoice.objects.get()
    thursday = MONDAY + timedelta(days=10)
    with clock.frozen_at(thursday):
        with pytest.raises(Conflict, match="client"):
            invoice_dispute_freeze(user=contract.freelancer, invoice=invoice, reason="No.")
        with pytest.raises(InvalidInput):
            invoice_dispute_freeze(user=contract.client, invoice=invoice, reason="  ")
        invoice = invoice_dispute_freeze(
            user=contract.client, invoice=invoice, reason="Tuesday's hours were not agreed."
        )
    assert (invoice.state, invoice.disputed_at) == (InvoiceState.DISPUTED, thursday)
    contract.refresh_from_db()
    assert contract.state == ContractState.PAUSED
    saturday = weeks.review_ends_at(WEEK)
    with clock.frozen_at(saturday):
        assert hourly_review_close_run_due(now=saturday) == {"paid": 0, "protected": 0}
        with pytest.raises(Conflict, match="disputed already"):
            invoice_dispute_freeze(user=contract.client, invoice=invoice, reason="Again.")
        # An invoice still in review when its review is over can no longer be disputed.
        HourlyInvoice.objects.filter(pk=invoice.pk).update(
            state=InvoiceState.IN_REVIEW, disputed_at=None
        )
        with pytest.raises(Conflict, match="no longer"):
            invoice_dispute_freeze(user=contract.client, invoice=invoice, reason="Late.")
    assert in_review_account(contract).balance_cents == 8_000  # kept for the decision


def test_invoice_states_move_only_along_their_table():
    assert all(set(targets) <= set(InvoiceState.values) for targets in INVOICE_TRANSITIONS.values())
    assert set(INVOICE_TRANSITIONS) == set(InvoiceState.values)
    contract = hired()
    top_up(contract, 50_000)
    log(contract, MONDAY + timedelta(hours=9), 1)
    hourly_invoice_run_due(now=weeks.week_locks_at(WEEK))
    saturday = weeks.review_ends_at(WEEK)
    with clock.frozen_at(saturday):
        hourly_review_close_run_due(now=saturday)
        invoice = HourlyInvoice.objects.get()
        assert invoice.state == InvoiceState.PAID
        # A paid invoice goes nowhere: not disputed, not charged, not protected again.
        HourlyInvoice.objects.filter(pk=invoice.pk).update(review_ends_at=saturday + HOUR)
        invoice.refresh_from_db()
        with pytest.raises(Conflict, match="no longer"):
            invoice_dispute_freeze(user=contract.client, invoice=invoice, reason="Late")
        with pytest.raises(InvalidTransition, match="paid cannot become in review"):
            _move(invoice, InvoiceState.IN_REVIEW)
