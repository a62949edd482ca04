"""Layout at phone and desktop width, in Chromium against the live server (issue 15,
defects 3, 4 and 11): at 390 px no main page scrolls sideways (the policies' fee and
Connects rules, the profile editor's cards, the client's proposal review and its tabs among
them), and at 1280 px the freelancer profile's sidebar holds its long values ("$216,831.00",
"Native or bilingual", "America/New_York") inside its cards.

One browser, one page per person, reused from page to page; the widths of every page that
scrolls sideways are collected and compared at the end, so one run names them all."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from openlance.accounts.models import User
from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.billing.services import funds_deposit
from openlance.contracts.milestones.funding import milestone_fund
from openlance.contracts.models import Contract
from openlance.contracts.tests.factories import contract_fixed
from openlance.core import clock
from openlance.core.money import Money
from openlance.disputes.models import Dispute
from openlance.disputes.services import dispute_open
from openlance.jobs.models import JobPost
from openlance.jobs.tests.factories import job_post
from openlance.profiles.models import Availability, PortfolioItem
from openlance.profiles.tests.factories import client_with_profile, freelancer_with_profile
from openlance.proposals.models import DeclineReason
from openlance.proposals.services import invitation_decline
from openlance.proposals.tests.factories import invitation, proposal
from openlance.web.tests.browser import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

# Elements inside the sidebar's cards whose right edge passes the card's content box.
SIDEBAR_OVERFLOW = """() => [...document.querySelectorAll('.with-aside > aside .card')]
  .flatMap(card => {
    const box = card.getBoundingClientRect();
    const inner = box.right - parseFloat(getComputedStyle(card).paddingRight);
    return [...card.querySelectorAll('*')]
      .filter(el => el.getClientRects().length && el.getBoundingClientRect().right > inner + 0.5)
      .map(el => `${el.tagName.toLowerCase()} "${el.textContent.trim().slice(0, 40)}" ends at `
        + `${Math.round(el.getBoundingClientRect().right)}, the card at ${Math.round(inner)}`);
  })"""


@dataclass
class Market:
    freelancer: User
    client: User
    job: JobPost
    contract: Contract
    dispute: Dispute


@pytest.fixture
def market() -> Market:
    """A freelancer with long profile values and a portfolio link, a client reviewing
    proposals on a post (one of them invited the freelancer, who declined), and a contract
    between the two whose first milestone is disputed."""
    maya = freelancer_user(email="maya@example.com", first_name="Maya", last_name="Lopez")
    profile = freelancer_with_profile(
        user=maya,
        title="B2B copywriter and messaging strategist for SaaS",
        overview="I write landing pages, onboarding emails and long-form articles. " * 4,
        skills=["Content Writing", "Copywriting"],
        hourly_rate_cents=9_500,
        jss_percent=96,
        total_earned_cents=21_683_100,
        availability=Availability.FULL_TIME,
        available_now=False,
        english_level="native",
        verified_country="US",
    )
    profile.freelancer.time_zone = "America/New_York"
    profile.freelancer.save(update_fields=["time_zone"])
    PortfolioItem.objects.create(
        freelancer=profile.freelancer,
        title="Newsletter archive for a nutrition brand",
        link="https://mayalopez.example.com/work/newsletter-archive-for-a-nutrition-brand",
        created_at=clock.now(),
    )
    omar = client_with_profile(
        user=client_user(email="omar@example.com", first_name="Omar", last_name="Haddad"),
        payment_method_verified=True,
    ).user
    job = job_post(
        client=omar, title="Landing page copy for a budgeting app", skills=["Copywriting"]
    )
    for _ in range(3):
        proposal(job=job)
    # Answering an invitation adds the sidebar's longest label, "Answers invitations".
    invitation_decline(
        freelancer=maya,
        invitation=invitation(job=job, freelancer=maya),
        reason=DeclineReason.TOO_BUSY,
    )
    contract = contract_fixed((40_000, 60_000), client=omar, freelancer=maya)
    funds_deposit(user=omar, amount=Money(100_000), payment_method="pm_card_visa", key="k")
    first = contract.milestones.order_by("position").first()
    assert first is not None
    milestone_fund(client=omar, milestone=first, payment_method="balance")
    dispute = dispute_open(
        user=omar, milestone=first, reason="The first draft missed the brief entirely."
    )
    return Market(maya, omar, job, contract, dispute)


@pytest.fixture
def open_page(chromium, live_server) -> Iterator[Any]:
    contexts = []

    def open_as(viewport: dict[str, int], email: str | None = None) -> Any:
        context = chromium.new_context(base_url=live_server.url, viewport=viewport)
        contexts.append(context)
        tab = context.new_page()
        tab.set_default_timeout(15_000)
        if email:
            sign_in(tab, email)
        return tab

    yield open_as
    for context in contexts:
        context.close()


def sideways(tab: Any, url: str) -> int | None:
    """The page's width when it is wider than the window (it scrolls sideways), else None."""
    tab.goto(url)
    tab.wait_for_load_state("networkidle")
    width, window = tab.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    return width if width > window else None


def test_no_main_page_scrolls_sideways_at_phone_width(market, open_page):
    contract, dispute = market.contract, market.dispute
    pages = {
        None: [
            "/",
            "/policies/",
            "/search/jobs/?q=copy",
            "/search/freelancers/?q=copywriting",
            f"/jobs/{market.job.pk}/",
            f"/freelancers/{market.freelancer.pk}/",
        ],
        market.freelancer.email: [
            "/",
            "/profile/edit/",
            f"/freelancers/{market.freelancer.pk}/",
            f"/jobs/{market.job.pk}/",
            "/wallet/",
            f"/contracts/{contract.pk}/",
            "/disputes/",
            f"/disputes/{dispute.pk}/",
        ],
        market.client.email: [
            "/",
            f"/proposals/job/{market.job.pk}/",
            "/wallet/",
            "/wallet/cards/",
            f"/contracts/{contract.pk}/",
            "/disputes/",
            f"/disputes/{dispute.pk}/",
        ],
    }
    too_wide = {}
    for email, urls in pages.items():
        tab = open_page(PHONE, email)
        for url in urls:
            width = sideways(tab, url)
            if width is not None:
                too_wide[f"{email or 'visitor'} {url}"] = width
        if email == market.client.email:
            # The review's tabs wrap rather than hide "Hired" and "Archived" past the edge.
            tab.goto(f"/proposals/job/{market.job.pk}/")
            tabs = tab.locator("#proposal-tabs")
            assert tabs.get_by_role("link").count() == 5
            width, room = tabs.evaluate("bar => [bar.scrollWidth, bar.clientWidth]")
            if width > room:
                too_wide[f"the proposal tabs, in {room}px"] = width
    assert too_wide == {}, f"wider than their room at 390 px: {too_wide}"


def test_the_profile_sidebar_holds_long_values_at_desktop_width(market, open_page):
    tab = open_page(DESKTOP, market.client.email)
    tab.goto(f"/freelancers/{market.freelancer.pk}/")
    sidebar = tab.locator(".with-aside > aside").inner_text()
    for value in ("$216,831.00", "Native or bilingual", "America/New_York"):
        assert value in sidebar
    assert tab.evaluate(SIDEBAR_OVERFLOW) == []
