"""The home page finds work or talent in one step (issue 15): a search box for each, the
categories, the newest open posts and the freelancers the ranking in force puts first, with
the transparency promise as a short band."""

from __future__ import annotations

import pytest

from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.contracts.milestones.funding import milestone_fund
from openlance.contracts.tests.factories import contract_fixed
from openlance.jobs.tests.factories import job_post
from openlance.profiles.tests.factories import freelancer_with_profile, specialized_profile

pytestmark = pytest.mark.django_db


def test_a_visitor_finds_work_and_talent_from_the_home_page(client):
    job = job_post(title="Copywriter for a bakery website")
    strong = freelancer_with_profile(title="Senior copywriter", jss_percent=98)
    weak = freelancer_with_profile(title="Junior copywriter", jss_percent=60)
    html = client.get("/").content.decode()
    assert 'action="/search/jobs/"' in html
    assert 'action="/search/freelancers/"' in html
    categories = html.split('data-testid="home-categories"', 1)[1].split("</p>", 1)[0]
    assert f"?category={job.category.slug}" in categories
    recent = html.split('data-testid="home-recent-jobs"', 1)[1].split("</section>", 1)[0]
    assert "Copywriter for a bakery website" in recent
    top = html.split('data-testid="home-top-freelancers"', 1)[1].split("</section>", 1)[0]
    assert top.index(strong.freelancer.user.public_name) < top.index(
        weak.freelancer.user.public_name
    )
    assert 'data-testid="promise"' in html


def test_the_top_freelancers_link_to_the_profile_that_ranked_and_say_what_is_verified(client):
    general = freelancer_with_profile(
        user=freelancer_user(first_name="Ada", last_name="Lovelace"),
        title="Analyst",
        jss_percent=95,
        hourly_rate_cents=12_500,
    )
    user = general.freelancer.user
    user.verified_country = "GB"
    user.save(update_fields=["verified_country"])
    specialized = specialized_profile(general.freelancer, title="Data <b>engineer</b>")
    top = client.get("/").content.decode().split('data-testid="home-top-freelancers"', 1)[1]
    top = top.split("</section>", 1)[0]
    assert f'href="/freelancers/{user.pk}/"' in top
    assert f'href="/freelancers/{user.pk}/?profile={specialized.pk}"' in top
    assert "Ada L." in top
    assert "Data &lt;b&gt;engineer&lt;/b&gt;" in top
    assert "95% Job Success" in top
    assert "$125.00/hr" in top
    assert "✓ United Kingdom" in top
    assert '<span class="avatar avatar-sm avatar-initials" aria-hidden="true">AL</span>' in top


def test_a_signed_in_user_has_the_same_discovery_under_their_dashboard(client):
    client.force_login(client_user())
    html = client.get("/").content.decode()
    assert 'data-testid="discovery"' in html
    assert "No open jobs yet." in html
    assert "No public freelancer profiles yet." in html


def test_dashboards_show_what_each_side_must_act_on(client):
    contract = contract_fixed((40_000, 10_000))
    first, second = contract.milestones.order_by("position")
    milestone_fund(client=contract.client, milestone=first, payment_method="pm_card_visa")
    client.force_login(contract.freelancer)
    mine = client.get("/").content.decode().split('data-testid="freelancer-activity"', 1)[1]
    assert first.description in mine.split("Waiting for you")[0]
    client.force_login(contract.client)
    theirs = client.get("/").content.decode().split('data-testid="client-activity"', 1)[1]
    to_act = theirs.split("To fund or review", 1)[1]
    assert second.description in to_act
    assert "fund it so work can start" in to_act
