"""An hourly week end to end in Chromium against the live server (SPEC §7.2; issue 13): the
freelancer logs time by hand on the timesheet and a tracker uploads more through the API;
the client watches the week fill up; the clock moves to Monday noon and the invoice appears
on both sides; after the review the money is paid, and on the Wednesday it is available.

The clock is moved with time_machine, which the live server (a thread of this process)
shares, and the rules run through `manage.py run_due` as an operator would. The weeks are
chosen ahead of today, so the browser never holds a session cookie already expired."""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
import requests
import time_machine
from django.core.management import call_command

from openlance.accounts.services import token_create
from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.billing.services import funds_deposit
from openlance.contracts.models import Contract
from openlance.contracts.tests.factories import contract_hourly
from openlance.core import clock
from openlance.core.money import Money
from openlance.profiles.tests.factories import client_with_profile, freelancer_with_profile
from openlance.web.tests.browser import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _a_monday_ahead() -> datetime:
    today = datetime.now(UTC).date() + timedelta(days=7)
    return datetime.combine(today - timedelta(days=today.weekday()), time(0), tzinfo=UTC)


MONDAY = _a_monday_ahead()
TUESDAY = MONDAY + timedelta(days=1, hours=15)


@pytest.fixture
def browser_as(chromium, live_server) -> Iterator[Callable[[str], Any]]:
    contexts = []

    def open_as(email: str) -> Any:
        context = chromium.new_context(
            base_url=live_server.url, viewport={"width": 1280, "height": 900}
        )
        contexts.append(context)
        tab = context.new_page()
        tab.set_default_timeout(15_000)
        sign_in(tab, email)
        return tab

    yield open_as
    for context in contexts:
        context.close()


def hired() -> Contract:
    freelancer = freelancer_user(email="maya@example.com", first_name="Maya", last_name="Lind")
    freelancer_with_profile(user=freelancer, title="Backend developer")
    client = client_with_profile(
        user=client_user(email="nora@example.com", first_name="Nora", last_name="Berg")
    ).user
    with clock.frozen_at(MONDAY + timedelta(hours=8)):
        contract = contract_hourly(client=client, freelancer=freelancer, rate_cents=5_000)
        funds_deposit(user=client, amount=Money(100_000), payment_method="pm_card_visa", key="k")
    Contract.objects.filter(pk=contract.pk).update(manual_time_allowed=True, weekly_limit_hours=10)
    return contract


def week_totals(tab: Any) -> str:
    return " ".join(tab.get_by_test_id("week-totals").inner_text().split())


def test_an_hourly_week_from_the_timesheet_to_money_available(browser_as, live_server):
    contract = hired()
    timesheet = f"/contracts/{contract.pk}/timesheet/"
    with time_machine.travel(TUESDAY, tick=True):
        maya = browser_as("maya@example.com")
        maya.goto(timesheet)
        form = maya.get_by_test_id("log-time-form")
        form.get_by_label("Day (UTC)").fill(f"{MONDAY + timedelta(days=1):%Y-%m-%d}")
        form.get_by_label("From").fill("09:00")
        form.get_by_label("To").fill("11:30")
        form.get_by_label("Memo").fill("Payment form")
        form.get_by_role("button", name="Log time").click()
        maya.get_by_text("Time logged (manual).").wait_for()
        assert "Logged 2:30" in week_totals(maya)
        # A tracker uploads an interval through the API.
        token = token_create(user=contract.freelancer, name="tracker")[1]
        start = MONDAY + timedelta(days=1, hours=12)
        uploaded = requests.post(
            f"{live_server.url}/api/v1/contracts/{contract.pk}/time-entries",
            json={
                "started_at": start.isoformat(),
                "ended_at": (start + timedelta(hours=2)).isoformat(),
                "memo": "Webhooks",
            },
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "tracker-1"},
            timeout=10,
        )
        assert uploaded.status_code == 201, uploaded.text
        nora = browser_as("nora@example.com")
        nora.goto(timesheet)
        grid = nora.get_by_test_id("week-grid").inner_text()
        assert "Payment form" in grid
        assert "Webhooks" in grid
        assert "Logged 4:30" in week_totals(nora)
        assert "Comes to $225.00" in week_totals(nora)
        assert nora.get_by_test_id("log-time-form").count() == 0

    with time_machine.travel(MONDAY + timedelta(days=7, hours=12), tick=True):
        call_command("run_due", "--only", "hourly-invoices")
        week = f"?week={MONDAY:%Y-%m-%d}"
        nora.goto(timesheet + week)
        assert nora.get_by_test_id("invoice-state").inner_text() == "Invoice: In review"
        line = nora.get_by_test_id("invoice-line").inner_text()
        assert "$225.00" in line
        assert "plus $9.70 in fees, $234.70 charged" in line  # 3% and the $2.95 initiation
        maya.goto(timesheet + week)
        assert "The client may dispute it until" in maya.get_by_test_id("invoice-line").inner_text()

    with time_machine.travel(MONDAY + timedelta(days=12), tick=True):
        call_command("run_due", "--only", "hourly-review-close")
        maya.goto(timesheet + week)
        assert maya.get_by_test_id("invoice-state").inner_text() == "Invoice: Paid"
        maya.goto("/wallet/")
        # $225 less the 20% service fee on a first $500: $180 pending until Wednesday.
        assert maya.get_by_test_id("balance-freelancer_pending").inner_text() == "$180.00"

    with time_machine.travel(MONDAY + timedelta(days=16, hours=1), tick=True):
        call_command("run_due", "--only", "earnings-release")
        sign_in(maya, "maya@example.com")  # two weeks on, the session has expired
        maya.goto("/wallet/")
        assert maya.get_by_test_id("balance-freelancer_available").inner_text() == "$180.00"
