"""Pitching a job, end to end in Chromium against the live server: a freelancer buys
Connects, works out the gig math, spends Connects on a proposal; the client shortlists it and
opens an interview; the freelancer replies; the client closes the post without hiring and the
Connects come back (SPEC §8.2, issue 4 item 8)."""

import re
import time

import pytest

from openlance.accounts.tests.factories import freelancer_user
from openlance.jobs.tests.factories import job_client, job_post
from openlance.profiles.tests.factories import freelancer_with_profile
from openlance.web.tests.browser import fill_card, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TITLE = "Landing page for a coffee roaster"
MINUS, TIMES = "\u2212", "\u00d7"  # as the gig math prints them


def header_connects(page):
    """The balance in the header pill, e.g. "30 Connects" -> 30."""
    text = page.get_by_test_id("header-connects").inner_text()
    match = re.fullmatch(r"(\d+) Connects", text.strip())
    assert match, text
    return int(match.group(1))


def nav_link(page, name):
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name)


def test_freelancer_pitches_client_interviews_and_closes_without_hire_refunding_connects(
    page, chromium, live_server
):
    maya = freelancer_user(email="maya@example.com", first_name="Maya", last_name="Lopez")
    freelancer_with_profile(
        user=maya,
        title="Web designer for small shops",
        overview="Landing pages and small sites, designed and built.",
        skills=["UI Design"],
        hourly_rate_cents=4_000,
    )
    client = job_client(country="US", payment_method_verified=True)
    job_post(
        client=client,
        title=TITLE,
        description="One page: our story, the beans, a contact form.",
        skills=["UI Design"],
        budget_cents=50_000,
    )

    # Buy a bundle of Connects with the sandbox Visa: the header balance rises by 10.
    sign_in(page, "maya@example.com")
    page.get_by_test_id("header-connects").click()
    page.get_by_role("heading", name="Connects", exact=True).wait_for()
    # Opening the Connects page gives a freelancer who predates the welcome event the grant.
    start = int(page.get_by_test_id("connects-balance").inner_text())
    assert header_connects(page) == start
    buy = page.locator("#buy")
    buy.get_by_role("radio", name="10 Connects — $1.50").check()
    fill_card(buy)
    buy.get_by_role("button", name="Buy Connects").click()
    page.get_by_text("You bought 10 Connects for $1.50.").wait_for()
    bought = header_connects(page)
    assert bought == start + 10
    assert int(page.get_by_test_id("connects-balance").inner_text()) == bought

    # The calculator: a $500 fixed bid on this job, 10 h of work and 1 h pitching.
    page.locator("details.menu > summary").click()
    page.get_by_role("link", name="Gig math calculator").click()
    page.get_by_role("heading", name="Gig math").wait_for()
    page.get_by_label("Job", exact=True).select_option(label=TITLE)
    page.get_by_label("Bid type").select_option("fixed")
    page.get_by_label("Fixed price (USD)").fill("500")
    page.get_by_label("Working hours").fill("10")
    page.get_by_label("Pitching hours").fill("1")
    page.get_by_role("button", name="Calculate").click()
    result = page.locator("#gig-math-result")
    # 20% on the first $500 billed with a client; 4 Connects for a $500 post at $0.15 each.
    result.get_by_test_id("net").filter(has_text="$400.00").wait_for()
    assert result.get_by_test_id("service-fee").inner_text() == f"{MINUS}$100.00"
    assert result.get_by_test_id("effective-rate").inner_text() == "$36.36"
    assert result.get_by_test_id("connects").inner_text() == f"4 {TIMES} $0.15 = $0.60"

    # The job post, then the proposal form: its cost, and the live gig math for the bid.
    nav_link(page, "Find work").click()
    page.get_by_role("link", name=TITLE).click()
    page.get_by_role("heading", name=TITLE).wait_for()
    page.get_by_role("link", name="Submit a proposal").click()
    page.get_by_role("heading", name="Submit a proposal").wait_for()
    cost_card = page.get_by_test_id("proposal-cost")
    assert "This proposal costs 4 Connects" in cost_card.inner_text()
    assert f"Your balance: {bought}; after sending: {bought - 4}." in cost_card.inner_text()
    send = page.get_by_role("button", name="Send for 4 Connects")
    assert send.is_enabled()

    page.get_by_label("Cover letter").fill(
        "I design and build landing pages for food and drink brands; a week for this one."
    )
    page.get_by_label("Your bid ($)").fill("450")
    page.get_by_label("Hours of work you expect").fill("9")
    page.get_by_label("Hours spent pitching").fill("1")
    page.get_by_label("Hours spent pitching").press("Tab")  # a change event: htmx fetches
    gig = page.locator("#gig-math")
    gig.get_by_test_id("net").filter(has_text="$360.00").wait_for()
    assert gig.get_by_test_id("service-fee").inner_text() == f"{MINUS}$90.00"
    assert gig.get_by_test_id("effective-rate").inner_text() == "$36.00"
    assert gig.get_by_test_id("connects").inner_text() == f"4 {TIMES} $0.15 = $0.60"

    send.click()
    page.get_by_text("Proposal sent. 4 Connects spent.").wait_for()
    page.get_by_role("heading", name="Your proposal").wait_for()
    after_proposal = header_connects(page)
    assert after_proposal == bought - 4

    # The client, in a second browser: shortlist the proposal, then message Maya.
    office = chromium.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    desk = office.new_page()
    desk.set_default_timeout(15_000)
    sign_in(desk, client.email)
    nav_link(desk, "My jobs").click()
    desk.get_by_role("link", name=TITLE).click()
    desk.get_by_role("link", name="Review proposals (1)").click()
    desk.get_by_role("heading", name="Proposals").wait_for()
    row = desk.locator(".proposal-row", has_text="Maya L.")
    assert "$450.00 fixed" in row.inner_text()
    row.get_by_role("button", name="Shortlist").click()  # htmx swaps the row in place
    row.get_by_role("button", name="Unshortlist").wait_for()
    assert row.get_by_text("Shortlisted", exact=True).is_visible()
    row.get_by_role("link", name="Message").click()
    desk.get_by_role("heading", name="Maya L.", exact=True).wait_for()
    desk.get_by_label("Message").fill("Hi Maya, could you start next Monday?")
    desk.get_by_role("button", name="Send message").click()
    desk.locator("#thread").get_by_text("Hi Maya, could you start next Monday?").wait_for()
    assert TITLE in desk.get_by_role("heading", level=1).inner_text()

    # Maya opens the conversation from Messages and replies; htmx appends it in place.
    page.goto("/")
    nav_link(page, "Messages").click()
    page.get_by_role("link", name=re.compile(re.escape(TITLE))).click()
    thread = page.locator("#thread")
    thread.get_by_text("Hi Maya, could you start next Monday?").wait_for()
    page.evaluate("window.__sameDocument = true")
    page.get_by_label("Message").fill("Yes, Monday works. I'll send a first draft by Wednesday.")
    page.get_by_role("button", name="Send", exact=True).click()
    thread.get_by_text("Yes, Monday works.").wait_for()
    assert page.evaluate("window.__sameDocument === true")  # no full page load
    assert page.get_by_label("Message").input_value() == ""
    desk.reload()
    desk.locator("#thread").get_by_text("Yes, Monday works.").wait_for()

    # The client closes the post without hiring.
    nav_link(desk, "My jobs").click()
    desk.get_by_role("link", name=TITLE).click()
    desk.get_by_role("button", name="Close without hiring").click()
    desk.get_by_text("The job is closed without a hire; Connects spent on it go back.").wait_for()
    office.close()

    # The refund comes from an outbox event; poll briefly in case delivery lags the commit.
    page.goto("/connects/")
    for _ in range(10):
        if header_connects(page) == bought:
            break
        time.sleep(0.3)
        page.reload()
    assert header_connects(page) == bought
    assert int(page.get_by_test_id("connects-balance").inner_text()) == bought

    page.get_by_role("link", name="History").click()
    page.get_by_role("heading", name="Connects history").wait_for()
    rows = page.locator("#history tbody tr")
    spend = rows.filter(has_text=f"Proposal for “{TITLE}”")
    refund = rows.filter(has_text=f"Refund: “{TITLE}” closed without a hire")
    purchase = rows.filter(has_text="Bought 10 Connects for $1.50")
    assert spend.locator("td.num").first.inner_text() == "-4"
    assert spend.locator("td.num").last.inner_text() == str(bought - 4)
    assert refund.locator("td.num").first.inner_text() == "+4"
    assert refund.locator("td.num").last.inner_text() == str(bought)
    assert purchase.locator("td.num").first.inner_text() == "+10"
    assert f"Balance now: {bought} Connects." in page.locator(".page-head").inner_text()
