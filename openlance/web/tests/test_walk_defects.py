"""Small defects a browser walk found (issue 15), each pinned: "Posted 0 minutes ago", a blank
405 on the withdrawal-method form's address, a running balance whose account was not named,
and a Connects allotment date for a plan that allots nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.billing.services import funds_deposit
from openlance.core import clock
from openlance.core.models import Policy, PolicyKind
from openlance.core.money import Money
from openlance.jobs.tests.factories import job_post

pytestmark = pytest.mark.django_db


def test_a_job_posted_seconds_ago_says_just_now_and_later_how_long(client):
    job = job_post()
    with clock.frozen_at(job.published_at + timedelta(seconds=20)):
        page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "Posted just now" in page
    assert "0 minutes" not in page
    with clock.frozen_at(job.published_at + timedelta(hours=3)):
        page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "Posted 3\xa0hours ago" in page


def test_the_withdrawal_method_address_leads_to_its_form(client):
    client.force_login(freelancer_user())
    response = client.get("/wallet/methods/add/")
    assert response.status_code == 302
    assert response["Location"] == "/wallet/#payout-settings"


def test_each_balance_after_names_the_balance_it_is(client):
    user = client_user()
    funds_deposit(user=user, amount=Money(5_000), payment_method="pm_card_visa", key="k")
    client.force_login(user)
    page = client.get("/wallet/").content.decode()
    assert 'data-testid="balance-of-' in page
    assert "client funding</div>" in page


def test_a_plan_without_monthly_connects_shows_no_allotment_date(client):
    base = Policy.objects.filter(kind=PolicyKind.CONNECTS).order_by("-effective_from").first()
    basic = {**base.params["basic_plan"], "monthly_grant": 0}
    Policy.objects.create(
        kind=PolicyKind.CONNECTS,
        label="no monthly grant",
        effective_from=clock.now() - timedelta(days=1),
        params={**base.params, "basic_plan": basic},
        created_at=clock.now() - timedelta(days=1),
    )
    client.force_login(freelancer_user())
    page = client.get("/connects/").content.decode()
    allotment = page.split('data-testid="connects-allotment"', 1)[1].split("</div>", 1)[0]
    assert "Next allotment" not in allotment
    assert "Monthly allotment" in allotment
    assert "This plan grants no monthly Connects" in allotment
