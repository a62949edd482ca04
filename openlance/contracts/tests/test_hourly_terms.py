"""Rate and weekly-limit changes on an hourly contract (SPEC §7.2, §7.3): proposed by either
side, accepted by the other, billed from the Monday after acceptance; the week being worked,
and every week before, keeps the terms it started with."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.test import Client

from openlance.accounts.services import token_create
from openlance.accounts.tests.factories import UserFactory
from openlance.billing.services import funds_deposit
from openlance.contracts.amendments import (
    amendment_accept,
    amendment_decline,
    amendment_propose,
    amendment_propose_hourly_terms,
    amendment_withdraw,
)
from openlance.contracts.endings import contract_end
from openlance.contracts.hourly import weeks
from openlance.contracts.hourly.selectors import timesheet
from openlance.contracts.hourly.services import contract_pause, hourly_invoice_run_due
from openlance.contracts.hourly.services import time_entry_add as add_entry
from openlance.contracts.models import (
    Amendment,
    AmendmentKind,
    AmendmentState,
    Contract,
    HourlyInvoice,
    TimeEntrySource,
)
from openlance.contracts.terms import terms_for_week
from openlance.contracts.tests.factories import contract_fixed, contract_hourly
from openlance.core import clock
from openlance.core.errors import Conflict, InvalidInput, NotFound
from openlance.core.money import Money
from openlance.core.services import outbox_drain

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("assert_ledger_sound")]

MONDAY = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
WEEK = MONDAY.date()
WEDNESDAY = MONDAY + timedelta(days=2, hours=10)


def hired(limit: int = 20) -> Contract:
    with clock.frozen_at(MONDAY + timedelta(hours=8)):
        contract = contract_hourly(rate_cents=4_000)
    Contract.objects.filter(pk=contract.pk).update(
        manual_time_allowed=True, weekly_limit_hours=limit
    )
    contract.refresh_from_db()
    funds_deposit(
        user=contract.client, amount=Money(500_000), payment_method="pm_card_visa", key="t"
    )
    return contract


def log(contract: Contract, week_offset: int, hours: int) -> None:
    start = MONDAY + timedelta(weeks=week_offset, hours=9)
    with clock.frozen_at(start + timedelta(hours=hours)):
        add_entry(
            user=contract.freelancer,
            contract=contract,
            started_at=start,
            ended_at=start + timedelta(hours=hours),
            memo="Work",
            source=TimeEntrySource.TRACKED,
        )


def change(contract: Contract, *, rate: int, limit: int, at: datetime) -> Amendment:
    with clock.frozen_at(at):
        proposed = amendment_propose_hourly_terms(
            user=contract.freelancer,
            contract=contract,
            hourly_rate=Money(rate),
            weekly_limit_hours=limit,
            note="More responsibility from now on.",
        )
        return amendment_accept(user=contract.client, amendment=proposed)


def test_accepted_terms_bill_from_the_next_monday_and_the_current_week_keeps_its_own():
    contract = hired(limit=20)
    log(contract, 0, 6)
    accepted = change(contract, rate=5_000, limit=5, at=WEDNESDAY)
    assert accepted.state == AmendmentState.ACCEPTED
    assert accepted.effective_week == WEEK + timedelta(days=7)
    log(contract, 1, 6)
    # The contract row keeps the terms it started with; each week has its own.
    contract.refresh_from_db()
    assert (contract.hourly_rate_cents, contract.weekly_limit_hours) == (4_000, 20)
    assert terms_for_week(contract, WEEK).hourly_rate_cents == 4_000
    later = terms_for_week(contract, WEEK + timedelta(days=14))
    assert (later.hourly_rate_cents, later.weekly_limit_hours) == (5_000, 5)
    for offset in (1, 2):
        hourly_invoice_run_due(now=weeks.week_locks_at(WEEK + timedelta(weeks=offset - 1)))
    first, second = HourlyInvoice.objects.filter(contract=contract).order_by("week_start")
    assert (first.hourly_rate_cents, first.weekly_limit_hours, first.amount_cents) == (
        4_000,
        20,
        24_000,
    )
    # 6 h logged, 5 billed at the new $50.
    assert (second.hourly_rate_cents, second.weekly_limit_hours) == (5_000, 5)
    assert (second.seconds_billed, second.amount_cents) == (5 * 3600, 25_000)


def test_the_timesheet_shows_the_weeks_terms_and_the_change_to_come():
    contract = hired()
    change(contract, rate=5_000, limit=30, at=WEDNESDAY)
    now = WEDNESDAY + timedelta(hours=1)
    this_week = timesheet(contract=contract, week=WEEK, now=now)
    assert this_week.terms.hourly_rate_cents == 4_000
    assert this_week.next_change is not None
    assert this_week.next_change.effective_week == WEEK + timedelta(days=7)
    next_week = timesheet(contract=contract, week=WEEK + timedelta(days=7), now=now)
    assert (next_week.terms.hourly_rate_cents, next_week.terms.weekly_limit_hours) == (5_000, 30)
    assert next_week.next_change is None


def test_two_changes_accepted_in_one_week_the_later_one_wins():
    contract = hired()
    change(contract, rate=5_000, limit=30, at=WEDNESDAY)
    change(contract, rate=4_500, limit=25, at=WEDNESDAY + timedelta(days=1))
    terms = terms_for_week(contract, WEEK + timedelta(days=7))
    assert (terms.hourly_rate_cents, terms.weekly_limit_hours) == (4_500, 25)


def test_ending_bills_the_last_week_at_its_terms_not_at_terms_still_to_come():
    contract = hired()
    log(contract, 0, 2)
    change(contract, rate=9_000, limit=40, at=WEDNESDAY)
    with clock.frozen_at(WEDNESDAY + timedelta(hours=2)):
        contract_end(user=contract.client, contract=contract)
    invoice = HourlyInvoice.objects.get(contract=contract)
    assert (invoice.hourly_rate_cents, invoice.amount_cents) == (4_000, 8_000)


def test_the_rules_of_a_terms_proposal():
    contract = hired()
    with clock.frozen_at(WEDNESDAY):
        with pytest.raises(InvalidInput) as bad:
            amendment_propose_hourly_terms(
                user=contract.client,
                contract=contract,
                hourly_rate=Money(200),
                weekly_limit_hours=200,
            )
        assert set(bad.value.field_errors) == {"hourly_rate", "weekly_limit_hours"}
        with pytest.raises(InvalidInput, match="terms already"):
            amendment_propose_hourly_terms(
                user=contract.client,
                contract=contract,
                hourly_rate=Money(4_000),
                weekly_limit_hours=20,
            )
        with pytest.raises(NotFound):
            amendment_propose_hourly_terms(
                user=UserFactory(),
                contract=contract,
                hourly_rate=Money(5_000),
                weekly_limit_hours=20,
            )
        proposed = amendment_propose_hourly_terms(
            user=contract.client, contract=contract, hourly_rate=Money(3_500), weekly_limit_hours=20
        )
        assert proposed.kind == AmendmentKind.HOURLY_TERMS
        assert proposed.amount_cents is None
        assert proposed.description == "Rate $35.00/hr, weekly limit 20 h"
        with pytest.raises(Conflict, match="already waiting"):
            amendment_propose_hourly_terms(
                user=contract.freelancer,
                contract=contract,
                hourly_rate=Money(5_000),
                weekly_limit_hours=20,
            )
        with pytest.raises(Conflict, match="other side"):
            amendment_accept(user=contract.client, amendment=proposed)
        amendment_decline(user=contract.freelancer, amendment=proposed)
        # Declined: the terms stay; a new proposal may follow.
        again = amendment_propose_hourly_terms(
            user=contract.client, contract=contract, hourly_rate=Money(3_500), weekly_limit_hours=20
        )
        amendment_withdraw(user=contract.client, amendment=again)
    assert terms_for_week(contract, WEEK + timedelta(days=7)).hourly_rate_cents == 4_000
    # A milestone belongs to fixed price; terms to hourly.
    with clock.frozen_at(WEDNESDAY), pytest.raises(Conflict):
        amendment_propose(
            user=contract.client, contract=contract, description="More", amount=Money(10_000)
        )
    fixed = contract_fixed()
    with pytest.raises(Conflict, match="hourly contracts"):
        amendment_propose_hourly_terms(
            user=fixed.client, contract=fixed, hourly_rate=Money(5_000), weekly_limit_hours=10
        )


def test_terms_change_while_paused_but_not_once_ended():
    contract = hired()
    with clock.frozen_at(WEDNESDAY):
        contract_pause(user=contract.client, contract=contract)
    accepted = change(contract, rate=5_000, limit=20, at=WEDNESDAY + timedelta(hours=1))
    assert accepted.state == AmendmentState.ACCEPTED
    with clock.frozen_at(WEDNESDAY + timedelta(hours=2)):
        pending = amendment_propose_hourly_terms(
            user=contract.client, contract=contract, hourly_rate=Money(6_000), weekly_limit_hours=20
        )
        contract_end(user=contract.client, contract=contract)
        with pytest.raises(Conflict, match="ended"):
            amendment_accept(user=contract.freelancer, amendment=pending)


def test_the_other_side_is_emailed_the_proposal():
    contract = hired()
    with clock.frozen_at(WEDNESDAY):
        amendment_propose_hourly_terms(
            user=contract.freelancer,
            contract=contract,
            hourly_rate=Money(5_000),
            weekly_limit_hours=20,
        )
        outbox_drain(now=clock.now())
    sent = [m for m in mail.outbox if "New terms proposed" in m.subject]
    assert [m.to[0] for m in sent] == [contract.client.email]
    assert "$50.00/hr" in sent[0].body


def test_the_api_proposes_and_accepts_new_terms():
    contract = hired()
    freelancer = Client()
    freelancer_auth = {
        "Authorization": f"Bearer {token_create(user=contract.freelancer, name='t')[1]}"
    }
    client_auth = {"Authorization": f"Bearer {token_create(user=contract.client, name='t')[1]}"}
    with clock.frozen_at(WEDNESDAY):
        made = freelancer.post(
            f"/api/v1/contracts/{contract.pk}/hourly-terms",
            json.dumps({"hourly_rate": {"amount": "50.00"}, "weekly_limit_hours": 30}),
            content_type="application/json",
            headers=freelancer_auth,
        )
        assert made.status_code == 201, made.content
        body = made.json()
        assert body["kind"] == "hourly_terms"
        assert body["amount"] is None
        assert body["hourly_rate"]["amount"] == "50.00"
        assert body["effective_week"] is None
        accepted = (
            Client().post(f"/api/v1/amendments/{body['id']}/accept", headers=client_auth).json()
        )
        assert accepted["effective_week"] == "2026-11-09"
        sheet = Client().get(
            f"/api/v1/contracts/{contract.pk}/timesheet",
            {"week": "2026-11-09"},
            headers=client_auth,
        )
        assert sheet.json()["hourly_rate"]["amount"] == "50.00"
        assert sheet.json()["weekly_limit_hours"] == 30
        bad = freelancer.post(
            f"/api/v1/contracts/{contract.pk}/hourly-terms",
            json.dumps({"hourly_rate": {"amount": "50.00"}, "weekly_limit_hours": 0}),
            content_type="application/json",
            headers=freelancer_auth,
        )
        assert bad.status_code == 422


def test_the_room_offers_the_terms_form_and_shows_the_change(client):
    contract = hired()
    client.force_login(contract.freelancer)
    with clock.frozen_at(WEDNESDAY):
        room = client.get(f"/contracts/{contract.pk}/").content.decode()
        assert "Propose a new rate or weekly limit" in room
        refused = client.post(
            f"/contracts/{contract.pk}/hourly-terms/",
            {"hourly_rate": "1", "weekly_limit_hours": "20"},
        )
        assert refused.status_code == 200
        assert "at least $3.00" in refused.content.decode()
        done = client.post(
            f"/contracts/{contract.pk}/hourly-terms/",
            {"hourly_rate": "55", "weekly_limit_hours": "25", "note": "New scope"},
        )
        assert done.status_code == 302
        proposed = Amendment.objects.get(contract=contract)
        client.force_login(contract.client)
        room = client.get(f"/contracts/{contract.pk}/").content.decode()
        assert "New terms: $55.00/hr, up to 25 h a week" in room
        client.post(f"/contracts/amendments/{proposed.pk}/accept/")
        card = client.get(f"/contracts/{contract.pk}/hourly-card/").content.decode()
        assert "From the week of Nov 9: $55.00/hr, up to 25 h a week." in card
        listing = client.get("/contracts/").content.decode()
        assert "$40.00/hr" in listing  # this week's rate
    with clock.frozen_at(WEDNESDAY + timedelta(days=7)):
        listing = client.get("/contracts/").content.decode()
        assert "$55.00/hr" in listing
        sheet = client.get(f"/contracts/{contract.pk}/timesheet/").content.decode()
        assert "$55.00/hr" in sheet
        assert "amended from the week of Nov 9" in sheet
