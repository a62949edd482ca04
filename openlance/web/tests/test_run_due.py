"""manage.py run_due: every SPEC §17 rule in the scheduler's order as of --now, printed,
safe to repeat; --only picks rules; bad options run nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from openlance.billing.models import PendingEarning
from openlance.billing.services import funds_deposit
from openlance.contracts.hourly.services import time_entry_add
from openlance.contracts.models import Contract, HourlyInvoice, InvoiceState, TimeEntrySource
from openlance.contracts.tests.factories import contract_hourly
from openlance.core import clock
from openlance.core.money import Money
from openlance.web.rules import RULE_NAMES

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 11, 2, tzinfo=UTC)


def run(*args: str) -> str:
    out = StringIO()
    call_command("run_due", *args, stdout=out)
    return out.getvalue()


def test_every_rule_runs_in_order_and_says_what_it_did():
    out = run("--now", "2026-11-09T12:00:00+00:00")
    assert out.startswith("As of 2026-11-09T12:00:00+00:00:")
    positions = [out.index(f"  {name} ") for name in RULE_NAMES]
    assert positions == sorted(positions)
    assert "hourly-invoices" in out
    assert "issued 0, charged again 0, unpaid 0" in out


def test_an_hourly_week_runs_from_invoice_to_available_money_by_hand():
    with clock.frozen_at(MONDAY + timedelta(hours=8)):
        contract = contract_hourly()
    funds_deposit(
        user=contract.client, amount=Money(50_000), payment_method="pm_card_visa", key="k"
    )
    with clock.frozen_at(MONDAY + timedelta(days=1)):
        time_entry_add(
            user=contract.freelancer,
            contract=contract,
            started_at=MONDAY + timedelta(hours=9),
            ended_at=MONDAY + timedelta(hours=12),
            memo="Setup",
            source=TimeEntrySource.TRACKED,
        )
    assert "issued 1" in run("--now", "2026-11-09T12:00:00+00:00", "--only", "hourly-invoices")
    assert "issued 0" in run("--now", "2026-11-09T12:00:00+00:00", "--only", "hourly-invoices")
    run("--now", "2026-11-14T00:00:00+00:00")
    assert HourlyInvoice.objects.get().state == InvoiceState.PAID
    earning = PendingEarning.objects.get(freelancer=contract.freelancer)
    assert earning.released_at is None
    run("--now", "2026-11-18T00:00:00+00:00", "--only", "earnings-release")
    earning.refresh_from_db()
    assert earning.released_at is not None
    assert Contract.objects.get(pk=contract.pk).state == "active"


def test_bad_options_run_nothing():
    with pytest.raises(CommandError, match="UTC offset"):
        run("--now", "2026-11-09T12:00:00")
    with pytest.raises(CommandError):
        run("--only", "no-such-rule")
