"""The wallet draws money over time (issue 15, SPEC §13.2): a freelancer's gross, fees and net
by month, a client's payments by month; each an SVG with the same numbers as a table."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from openlance.accounts.tests.factories import freelancer_user
from openlance.billing.wallet import earnings_chart, spending_chart
from openlance.connects.services import connects_welcome_grant
from openlance.contracts.milestones.funding import milestone_fund
from openlance.contracts.milestones.release import milestone_approve
from openlance.contracts.milestones.submissions import milestone_submit
from openlance.contracts.tests.factories import contract_fixed
from openlance.core import clock
from openlance.core.charts import Series, bar_chart
from openlance.core.policies import connects_policy_at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("assert_ledger_sound")]

NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)


def paid(contract, when: datetime) -> None:
    milestone = contract.milestones.order_by("position").filter(state="not_funded").first()
    with clock.frozen_at(when):
        milestone_fund(client=contract.client, milestone=milestone, payment_method="pm_card_visa")
        milestone_submit(freelancer=contract.freelancer, milestone=milestone, message="Done")
        milestone_approve(client=contract.client, milestone=milestone)


def test_earnings_and_spending_by_month_with_a_table_behind_each(client):
    with clock.frozen_at(datetime(2026, 9, 1, tzinfo=UTC)):
        contract = contract_fixed((60_000, 20_000))
    paid(contract, datetime(2026, 10, 5, tzinfo=UTC))
    paid(contract, datetime(2026, 12, 2, tzinfo=UTC))
    with clock.frozen_at(NOW):
        earned = earnings_chart(freelancer=contract.freelancer)
        spent = spending_chart(client=contract.client)
    assert earned.labels[-3:] == ("Oct", "Nov", "Dec")
    by_month = dict(earned.rows)
    gross, fees, net = (money.cents for money in by_month["Oct"])
    assert (gross, fees, net) == (60_000, 11_000, 49_000)  # SPEC §8.2's worked example
    assert [money.cents for money in by_month["Nov"]] == [0, 0, 0]
    assert [money.cents for money in by_month["Dec"]] == [20_000, 2_000, 18_000]
    assert dict(spent.rows)["Dec"][0].cents == 20_000
    client.force_login(contract.freelancer)
    with clock.frozen_at(NOW):
        page = client.get("/wallet/").content.decode()
    chart = page.split('data-testid="earnings-chart"', 1)[1].split("</section>", 1)[0]
    assert "<svg" in chart
    assert 'role="img"' in chart
    assert "<title>Oct: Gross $600.00</title>" in chart
    assert '<td class="num">$490.00</td>' in chart  # the table behind it
    client.force_login(contract.client)
    with clock.frozen_at(NOW):
        page = client.get("/wallet/").content.decode()
    assert 'data-testid="spending-chart"' in page


def test_a_chart_scales_to_a_round_top_and_says_when_it_is_empty():
    chart = bar_chart("Test", ["Jan", "Feb"], [Series("Paid", (12_300, 0))])
    assert chart.gridlines[-1].label == "$200"
    tallest = max(bar.height for bar in chart.bars)
    assert tallest == round(12_300 * (chart.axis_y - 10) / 20_000, 1)
    assert not chart.empty
    assert bar_chart("Test", ["Jan"], [Series("Paid", (0,))]).empty


def test_the_connects_history_draws_the_balance_at_each_month_end(client):
    freelancer = freelancer_user()
    with clock.frozen_at(datetime(2026, 10, 10, tzinfo=UTC)):
        connects_welcome_grant(user=freelancer)
    client.force_login(freelancer)
    with clock.frozen_at(NOW):
        page = client.get("/connects/history/").content.decode()
    chart = page.split('data-testid="connects-chart"', 1)[1].split("</section>", 1)[0]
    welcome = connects_policy_at(NOW).welcome_grant
    assert f"<title>Oct: Connects {welcome}</title>" in chart
    assert "<title>Sep: Connects 0</title>" in chart
    assert "$" not in chart.split("<details")[0]  # counts, not money
