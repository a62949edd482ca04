"""What paid hourly work shows elsewhere: the freelancer's hours, jobs and earnings on their
profile, the client's hours paid and average rate in their signals (SPEC §2.1, §2.3), and
the contract's value that weights it in the Job Success Score."""

from __future__ import annotations

from datetime import timedelta

import pytest

from openlance.contracts.hourly import weeks
from openlance.contracts.hourly.services import hourly_invoice_run_due, hourly_review_close_run_due
from openlance.contracts.tests.test_hourly import MONDAY, WEEK, hired, log, top_up
from openlance.core import clock
from openlance.core.money import Money
from openlance.core.services import outbox_drain
from openlance.insights.selectors import client_signals
from openlance.profiles.models import Freelancer
from openlance.reviews.selectors import contract_values

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("assert_ledger_sound")]


def test_paid_hours_reach_the_profile_the_client_signals_and_the_score_weights():
    contract = hired(limit=40, rate_cents=5_000)
    top_up(contract, 100_000)
    for day in range(3):
        log(contract, MONDAY + timedelta(days=day, hours=9), 4)  # 12 h
    hourly_invoice_run_due(now=weeks.week_locks_at(WEEK))
    saturday = weeks.review_ends_at(WEEK)
    with clock.frozen_at(saturday):
        hourly_review_close_run_due(now=saturday)
        outbox_drain(now=saturday)
    freelancer = Freelancer.objects.get(user=contract.freelancer)
    assert (freelancer.total_hours, freelancer.total_jobs) == (12, 1)
    assert freelancer.total_earned_cents == 60_000
    signals = client_signals(client=contract.client)
    assert signals.total_hours_paid == 12
    assert signals.average_hourly_rate_paid == Money(5_000)
    assert contract_values(contract_ids=[contract.pk]) == {contract.pk: 60_000}
