"""The timesheet page for both sides: the week's grid and totals, the freelancer's forms
(errors in place, htmx swaps), locked weeks, invoices, and the contract room's card."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from openlance.billing.models import SavedCard
from openlance.billing.services import funds_deposit
from openlance.billing.tests.card_entry import new_card
from openlance.contracts.hourly.services import hourly_invoice_run_due, time_entry_add
from openlance.contracts.models import Contract, TimeEntry, TimeEntrySource
from openlance.contracts.tests.factories import contract_fixed, contract_hourly
from openlance.core import clock
from openlance.core.money import Money

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("assert_ledger_sound")]

MONDAY = datetime(2026, 11, 2, tzinfo=UTC)
WEDNESDAY = MONDAY + timedelta(days=2, hours=15)


def hired(*, manual: bool = True) -> Contract:
    with clock.frozen_at(MONDAY + timedelta(hours=8)):
        contract = contract_hourly()
    Contract.objects.filter(pk=contract.pk).update(manual_time_allowed=manual, weekly_limit_hours=3)
    contract.refresh_from_db()
    return contract


def logged(contract: Contract, day: int, start: int, hours: int, memo: str = "API work"):
    begin = MONDAY + timedelta(days=day, hours=start)
    with clock.frozen_at(WEDNESDAY):
        return time_entry_add(
            user=contract.freelancer,
            contract=contract,
            started_at=begin,
            ended_at=begin + timedelta(hours=hours),
            memo=memo,
            source=TimeEntrySource.TRACKED,
        )


def entry_form(day: str, start: str, end: str, memo: str = "", prefix: str = "") -> dict:
    p = f"{prefix}-" if prefix else ""
    return {f"{p}day": day, f"{p}start": start, f"{p}end": end, f"{p}memo": memo}


def test_both_sides_see_the_week_with_its_totals_and_the_hours_over_the_limit(client):
    contract = hired()
    logged(contract, 0, 9, 2, memo="Checkout page")
    logged(contract, 1, 9, 2, memo="Payment form")
    for user in (contract.freelancer, contract.client):
        client.force_login(user)
        with clock.frozen_at(WEDNESDAY):
            page = client.get(f"/contracts/{contract.pk}/timesheet/")
        body = page.content.decode()
        assert page.status_code == 200
        assert "Week of Nov 2, 2026" in body
        assert "Checkout page" in body
        assert "Payment form" in body
        assert "4:00" in body  # logged
        assert "3:00" in body  # billed: the limit
        assert "1:00" in body  # over the limit, never billed
        assert "$120.00" in body  # 3 h x $40
    # The client has no forms; the freelancer has.
    assert 'data-testid="log-time-form"' not in body
    client.force_login(contract.freelancer)
    with clock.frozen_at(WEDNESDAY):
        mine = client.get(f"/contracts/{contract.pk}/timesheet/").content.decode()
    assert 'data-testid="log-time-form"' in mine


def test_logging_by_hand_shows_refusals_in_place_and_htmx_swaps_the_week(client):
    contract = hired()
    logged(contract, 0, 9, 2)
    client.force_login(contract.freelancer)
    url = f"/contracts/{contract.pk}/timesheet/entries/"
    with clock.frozen_at(WEDNESDAY):
        overlap = client.post(url, entry_form("2026-11-02", "10:00", "11:00"))
        backwards = client.post(url, entry_form("2026-11-02", "15:00", "14:00"))
        ok = client.post(
            url,
            entry_form("2026-11-03", "09:00", "10:30", "Review"),
            headers={"HX-Request": "true"},
        )
    assert overlap.status_code == 422
    assert "overlaps the entry" in overlap.content.decode()
    assert backwards.status_code == 422
    assert "The end comes after the start." in backwards.content.decode()
    assert ok.status_code == 200
    assert 'id="timesheet"' in ok.content.decode()
    assert "<html" not in ok.content.decode()  # the week only
    entry = TimeEntry.objects.get(memo="Review")
    assert (entry.source, entry.seconds) == (TimeEntrySource.MANUAL, 5400)


def test_entries_change_and_go_until_the_week_is_locked(client):
    contract = hired()
    entry = logged(contract, 0, 9, 2)
    client.force_login(contract.freelancer)
    change = f"/contracts/time-entries/{entry.pk}/"
    with clock.frozen_at(WEDNESDAY):
        changed = client.post(
            change, entry_form("2026-11-02", "09:00", "12:00", "Longer", prefix=f"e{entry.pk}")
        )
    assert changed.status_code == 302
    entry.refresh_from_db()
    assert (entry.seconds, entry.memo, entry.source) == (3 * 3600, "Longer", "manual")
    with clock.frozen_at(MONDAY + timedelta(days=7, hours=12)):
        locked = client.post(change, {"delete": "1"})
    assert locked.status_code == 409
    assert "is locked" in locked.content.decode()
    with clock.frozen_at(WEDNESDAY):
        gone = client.post(change, {"delete": "1"})
    assert gone.status_code == 302
    assert not TimeEntry.objects.exists()


def test_an_invoiced_week_shows_its_invoice_and_the_room_its_card(client):
    contract = hired()
    funds_deposit(
        user=contract.client, amount=Money(50_000), payment_method="pm_card_visa", key="k"
    )
    logged(contract, 0, 9, 2)
    hourly_invoice_run_due(now=MONDAY + timedelta(days=7, hours=12))
    client.force_login(contract.client)
    with clock.frozen_at(MONDAY + timedelta(days=8)):
        page = client.get(f"/contracts/{contract.pk}/timesheet/?week=2026-11-04")
        card = client.get(f"/contracts/{contract.pk}/hourly-card/")
        room = client.get(f"/contracts/{contract.pk}/")
    body = " ".join(page.content.decode().split())
    assert "Invoice: In review" in body
    assert "plus $5.35 in fees, $85.35 charged" in body  # 3% and the $2.95 initiation fee
    assert "until Fri Nov 13, 23:59 UTC" in body
    assert card.status_code == 200
    assert "Last invoice: week of Nov 2, $80.00" in card.content.decode()
    assert "contract_hourly_card" not in room.content.decode()
    assert f"/contracts/{contract.pk}/hourly-card/" in room.content.decode()
    assert "Milestones" not in room.content.decode()


def test_a_fixed_price_contract_has_no_timesheet(client):
    contract = contract_fixed()
    client.force_login(contract.client)
    assert client.get(f"/contracts/{contract.pk}/timesheet/").status_code == 404


def test_the_wallet_lists_the_hourly_invoices_the_client_owes(client):
    contract = hired()
    logged(contract, 0, 9, 2)
    client.force_login(contract.client)
    assert client.get("/contracts/hourly/owed/").content.decode().strip() == ""
    hourly_invoice_run_due(now=MONDAY + timedelta(days=7, hours=12))  # no funds: unpaid
    owed = " ".join(client.get("/contracts/hourly/owed/").content.decode().split())
    assert "Hourly invoices you owe" in owed
    assert "$85.35" in owed
    wallet = client.get("/wallet/").content.decode()
    assert 'hx-get="/contracts/hourly/owed/"' in wallet


def test_the_client_pauses_from_the_timesheet_and_the_freelancer_sees_it(client):
    contract = hired()
    client.force_login(contract.client)
    with clock.frozen_at(WEDNESDAY):
        done = client.post(f"/contracts/{contract.pk}/pause/pause/", follow=True)
    assert "The contract is paused" in done.content.decode()
    client.force_login(contract.freelancer)
    with clock.frozen_at(WEDNESDAY):
        page = client.get(f"/contracts/{contract.pk}/timesheet/").content.decode()
    assert 'data-testid="paused"' in page
    # Time worked before the pause may still be logged; after it, the form says why not.
    url = f"/contracts/{contract.pk}/timesheet/entries/"
    with clock.frozen_at(WEDNESDAY + timedelta(hours=2)):
        before = client.post(url, entry_form("2026-11-03", "09:00", "10:00", "Before"))
        after = client.post(url, entry_form("2026-11-04", "15:30", "15:45", "After"))
    assert before.status_code == 302
    assert "no time is logged after the pause" in after.content.decode()
    assert TimeEntry.objects.filter(contract=contract).count() == 1
    client.force_login(contract.client)
    assert client.post(f"/contracts/{contract.pk}/pause/nonsense/").status_code == 404


def test_the_client_disputes_from_the_timesheet_and_odd_weeks_show_this_week(client):
    contract = hired()
    funds_deposit(
        user=contract.client, amount=Money(50_000), payment_method="pm_card_visa", key="k"
    )
    logged(contract, 0, 9, 2)
    hourly_invoice_run_due(now=MONDAY + timedelta(days=7, hours=12))
    invoice = contract.invoices.get()
    client.force_login(contract.client)
    thursday = MONDAY + timedelta(days=10)
    with clock.frozen_at(thursday):
        page = client.get(f"/contracts/{contract.pk}/timesheet/?week=2026-11-02")
        assert 'data-testid="dispute-form"' in page.content.decode()
        empty = client.post(f"/disputes/invoices/{invoice.pk}/open/", {"reason": ""}, follow=True)
        assert "This field is required" in empty.content.decode()  # shown on the timesheet
        done = client.post(
            f"/disputes/invoices/{invoice.pk}/open/", {"reason": "Too many hours."}, follow=True
        )
        sheet = client.get(f"/contracts/{contract.pk}/timesheet/?week=2026-11-02")
        odd = client.get(f"/contracts/{contract.pk}/timesheet/?week=9999-12-31")
    assert "Dispute opened" in done.content.decode()
    assert "Invoice: Disputed" in sheet.content.decode()
    assert odd.status_code == 200
    assert "Week of Nov 9, 2026" in odd.content.decode()


def test_the_client_chooses_a_card_for_invoices_on_the_timesheet(client):
    contract = hired()
    client.force_login(contract.client)
    with clock.frozen_at(WEDNESDAY):
        page = client.get(f"/contracts/{contract.pk}/timesheet/").content.decode()
        assert 'data-testid="invoice-card"' in page
        url = f"/contracts/{contract.pk}/invoice-card/"
        refused = client.post(url, {**new_card(), "card_number": "4242 4242 4242 4241"})
        assert refused.status_code == 422
        assert "Enter the card number as printed" in refused.content.decode()
        done = client.post(url, new_card(), follow=True)
    card = SavedCard.objects.get(user=contract.client)
    assert f"charged to {card}" in done.content.decode()
    assert str(card).startswith("Visa ending 4242 (expires 12/35)")
    contract.refresh_from_db()
    assert contract.hourly_card == card.payment_method
    with clock.frozen_at(WEDNESDAY):
        page = client.get(f"/contracts/{contract.pk}/timesheet/").content.decode()
    assert f"Invoices fall back to {card}" in page
    assert card.payment_method not in page  # the token is never shown
    client.force_login(contract.freelancer)
    with clock.frozen_at(WEDNESDAY):
        page = client.get(f"/contracts/{contract.pk}/timesheet/").content.decode()
        assert 'data-testid="invoice-card"' not in page
        refused = client.post(url, new_card("pm_card_declined"), follow=True)
        assert "client chooses the card" in refused.content.decode()
    contract.refresh_from_db()
    assert contract.hourly_card == card.payment_method  # only the client chooses
