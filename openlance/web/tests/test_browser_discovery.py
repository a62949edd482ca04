"""A freelancer builds a profile and gets their location verified; a client finds them
with "US only"; a freelancer finds a job. Driven through Chromium against the live server."""

import io
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from PIL import Image

from openlance.accounts.models import User
from openlance.accounts.tests.factories import UserFactory, client_user, freelancer_user
from openlance.core.tests.files import pdf_bytes
from openlance.jobs.tests.factories import job_client, job_post
from openlance.profiles.tests.factories import freelancer_with_profile
from openlance.web.tests.browser import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCREENSHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"


def png_file(name):
    buffer = io.BytesIO()
    Image.new("RGB", (120, 90), "teal").save(buffer, format="PNG")
    return {"name": name, "mimeType": "image/png", "buffer": buffer.getvalue()}


def pdf_file(name):
    return {"name": name, "mimeType": "application/pdf", "buffer": pdf_bytes()}


def test_freelancer_builds_a_profile_and_a_verifier_approves_the_location(page, chromium):
    freelancer_user(email="maya@example.com", first_name="Maya", last_name="Lopez")
    sign_in(page, "maya@example.com")
    page.get_by_role("link", name="My profile").click()
    page.get_by_role("heading", name="Profile 0% complete").wait_for()

    general = page.locator("#general")
    general.get_by_label("Title").fill("Content writing for SaaS")
    general.get_by_label("Overview").fill(
        "I write long-form articles for software companies: research, interviews with your "
        "engineers, drafts you can edit in your own voice."
    )
    general.get_by_label("Hourly rate (USD)").fill("45")
    general.locator("summary", has_text="Writing").click()
    general.get_by_label("Content Writing").check()
    general.get_by_label("Copywriting").check()
    general.get_by_label("Technical Writing").check()
    general.get_by_role("button", name="Save general profile").click()
    page.get_by_text("Your general profile is saved.").wait_for()
    assert page.locator("#general").get_by_label("Title").input_value() == (
        "Content writing for SaaS"
    )
    assert "An hourly rate" not in page.locator(".completeness").inner_text()

    page.locator("#photo").get_by_label("Photo").set_input_files(png_file("me.png"))
    page.get_by_role("button", name="Upload photo").click()
    page.get_by_text("Your photo is updated.").wait_for()
    assert page.locator("#photo img.avatar").is_visible()

    page.get_by_role("link", name="Verify your location").click()
    page.get_by_label("Country").select_option("US")
    page.get_by_label("City").fill("Austin")
    page.get_by_label("Identity document").set_input_files(pdf_file("passport.pdf"))
    page.get_by_label("Proof of address").set_input_files(png_file("bill.png"))
    page.get_by_role("button", name="Send for verification").click()
    page.get_by_text("A verifier will review your documents.").wait_for()
    assert page.get_by_test_id("verification-status").inner_text() == "Waiting for review"

    verifier = UserFactory(email="verifier@example.com", is_staff=True)
    verifier.groups.add(Group.objects.get(name="Verifier"))
    console = chromium.new_context(base_url=page.url.split("/profile")[0])
    desk = console.new_page()
    desk.set_default_timeout(15_000)
    sign_in(desk, "verifier@example.com")
    desk.goto("/admin/accounts/locationverification/")
    desk.get_by_role("link", name="maya@example.com").click()
    desk.get_by_text("Hints only").wait_for()
    assert desk.get_by_role("link", name="Identity document").is_visible()
    desk.get_by_role("link", name="Approve…").click()
    desk.get_by_role("button", name="Approve").click()
    desk.get_by_text("Approved: maya@example.com lives in Austin").wait_for()
    console.close()

    page.reload()
    assert page.get_by_test_id("verification-status").inner_text() == "Approved"
    maya = User.objects.get(email="maya@example.com")
    page.goto(f"/freelancers/{maya.pk}/")
    page.get_by_text("Verified location").wait_for()
    assert "Maya L." in page.locator("h1").inner_text()
    assert "Austin, United States of America" in page.locator(".profile-head").inner_text()


def test_client_finds_a_verified_us_freelancer_and_opens_the_profile(page):
    maya = freelancer_user(first_name="Maya", last_name="Lopez")
    freelancer_with_profile(
        user=maya,
        title="Content writing for SaaS",
        overview="Long-form articles for software companies.",
        skills=["Content Writing"],
        hourly_rate_cents=4500,
        verified_country="US",
    )
    freelancer_with_profile(title="Content writing in Portuguese", country="US")
    client_user(email="ann@example.com")
    sign_in(page, "ann@example.com")
    page.get_by_role("link", name="Find talent").click()
    page.get_by_role("searchbox", name="Search freelancers").fill("content writing")
    page.get_by_role("button", name="Search").click()
    page.get_by_text("2 freelancers for").wait_for()
    page.get_by_label("US only").check()  # htmx swaps the results in place
    page.get_by_text("1 freelancer for").wait_for()
    assert "us_only=on" in page.url
    result = page.locator("article.result")
    assert result.count() == 1
    assert "No score yet" in result.inner_text()
    assert "United States of America" in result.inner_text()
    result.get_by_role("link", name="Maya L.").click()
    page.get_by_role("heading", name="Maya L.").wait_for()
    assert "$45.00" in page.locator(".profile-head").inner_text()
    assert page.get_by_text("No completed contracts yet.").is_visible()


def test_freelancer_filters_jobs_and_opens_one(page):
    job_post(
        client=job_client(country="US", payment_method_verified=True, total_spent_cents=250_000),
        title="Blog posts for an analytics SaaS",
        description="Four articles a month about product analytics, with sources.",
        skills=["Content Writing"],
        budget_type="hourly",
    )
    job_post(title="Blog posts for a bakery", skills=["Content Writing"])
    job_post(title="Logo for a bakery", skills=["Logo Design"])
    freelancer_user(email="maya@example.com")
    sign_in(page, "maya@example.com")
    page.get_by_role("link", name="Find work").click()
    page.get_by_text("3 jobs").wait_for()
    page.get_by_role("searchbox", name="Search jobs").fill("blog posts")
    page.get_by_role("button", name="Search").click()
    page.get_by_text("2 jobs for").wait_for()
    page.get_by_role("checkbox", name="Hourly").check()
    page.get_by_text("1 job for").wait_for()
    page.get_by_label("Payment method verified").check()
    page.get_by_text("1 job for").wait_for()
    page.get_by_role("link", name="Blog posts for an analytics SaaS").click()
    page.get_by_role("heading", name="Blog posts for an analytics SaaS").wait_for()
    signals = page.locator(".signals").inner_text()
    assert "Payment method verified" in signals
    assert "$2,500.00" in signals
    assert "No reviews yet" in signals


@pytest.mark.parametrize("width", [1280, 390])
def test_screenshots_of_the_discovery_pages(chromium, live_server, width):
    """Not an assertion of looks: pictures for a person to review (var/screenshots/)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    maya = freelancer_user(email="maya@example.com", first_name="Maya", last_name="Lopez")
    profile = freelancer_with_profile(
        user=maya,
        title="Content writing for SaaS",
        overview="I write long-form articles for software companies. " * 6,
        skills=["Content Writing", "Copywriting", "SEO Writing"],
        hourly_rate_cents=4500,
        verified_country="US",
    )
    job_post(title="Blog posts for an analytics SaaS", skills=["Content Writing"])
    client_user(email="ann@example.com")
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    sign_in(page, "maya@example.com")
    shots = {
        "profile": f"/freelancers/{profile.freelancer.user_id}/",
        "editor": "/profile/edit/",
        "verification": "/profile/verification/",
        "find-work": "/search/jobs/?q=blog",
        "rank": "/profile/rank/?q=content+writing",
    }
    for name, url in shots.items():
        page.goto(url)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    context.clear_cookies()
    sign_in(page, "ann@example.com")
    for name, url in {
        "post-job": "/jobs/new/",
        "find-talent": "/search/freelancers/?q=content+writing",
    }.items():
        page.goto(url)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    context.close()
