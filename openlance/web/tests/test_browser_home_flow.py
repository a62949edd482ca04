"""Issue 15 in Chromium against the live server: a visitor finds work from the home page in
one step (and the page does not scroll sideways at phone width); a freelancer saves a job in
place and finds it in their list; the header's bell counts a new notification and reading it
clears the count; the wallet draws earnings as a chart — at desktop and at phone width."""

from collections.abc import Iterator
from typing import Any

import pytest

from openlance.accounts.tests.factories import freelancer_user
from openlance.contracts.milestones.funding import milestone_fund
from openlance.contracts.milestones.release import milestone_approve
from openlance.contracts.milestones.submissions import milestone_submit
from openlance.contracts.tests.factories import contract_fixed
from openlance.core.mail import notify
from openlance.core.models import NotificationTopic
from openlance.jobs.tests.factories import job_post
from openlance.profiles.tests.factories import freelancer_with_profile
from openlance.web.tests.browser import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def tab(chromium, live_server) -> Iterator[Any]:
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_a_visitor_finds_work_from_the_home_page_at_any_width(tab):
    job_post(title="Copywriter for a bakery website")
    tab.goto("/")
    tab.get_by_test_id("home-recent-jobs").get_by_text("Copywriter for a bakery website").wait_for()
    tab.get_by_label("Find work").fill("copywriter")
    tab.get_by_role("button", name="Search jobs").click()
    tab.wait_for_url("**/search/jobs/?q=copywriter")
    tab.get_by_role("link", name="Copywriter for a bakery website").wait_for()
    tab.set_viewport_size({"width": 390, "height": 844})
    tab.goto("/")
    assert tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", [1280, 390])
def test_save_a_job_the_bell_and_the_earnings_chart(tab, width):
    tab.set_viewport_size({"width": width, "height": 900})
    freelancer = freelancer_user(email="ada@example.com", first_name="Ada", last_name="Ng")
    freelancer_with_profile(user=freelancer, title="Newsletter writer")
    job = job_post(title="Newsletter writer for a garden shop")
    contract = contract_fixed((60_000,), freelancer=freelancer)
    milestone = contract.milestones.get()
    milestone_fund(client=contract.client, milestone=milestone, payment_method="pm_card_visa")
    milestone_submit(freelancer=freelancer, milestone=milestone, message="Done")
    milestone_approve(client=contract.client, milestone=milestone)
    sign_in(tab, "ada@example.com")

    tab.goto(f"/jobs/{job.pk}/")
    tab.get_by_role("button", name="☆ Save job").click()
    tab.get_by_role("button", name="★ Saved").wait_for()
    tab.goto("/saved/jobs/")
    tab.get_by_test_id("saved-jobs").get_by_text("Newsletter writer for a garden shop").wait_for()

    tab.goto("/notifications/")
    tab.get_by_role("button", name="Mark all read").click()
    tab.goto("/")
    assert tab.get_by_test_id("header-unread").count() == 0
    notify(
        freelancer,
        topic=NotificationTopic.MESSAGES,
        subject="A new message from Omar",
        body="About the newsletter.",
        link_label="Read",
        path="/messages/",
    )
    tab.reload()
    assert tab.get_by_test_id("header-unread").inner_text() == "1"
    tab.get_by_test_id("header-bell").click()
    item = tab.get_by_test_id("notification").filter(has_text="A new message from Omar")
    item.get_by_role("button", name="Mark read").click()
    item.get_by_text("Read", exact=True).wait_for()
    tab.reload()
    assert tab.get_by_test_id("header-unread").count() == 0

    tab.goto("/wallet/")
    chart = tab.get_by_test_id("earnings-chart")
    assert chart.locator("svg rect").count() >= 3
    chart.get_by_text("The numbers, as a table").click()
    chart.get_by_role("cell", name="$490.00").wait_for()
    assert tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
