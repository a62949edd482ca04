"""Feedback and the Job Success Score, end to end in Chromium against the live server
(SPEC §10, §11; issue 12): a client ends a contract from the contract room and both sides
leave feedback on its feedback page, the client first; then the freelancer ends a contract
with a second client and leaves hers first. Each side sees only its own feedback until the
other has submitted, and both see each other's after. The freelancer has "no score yet"
until the second client's feedback is revealed, then 63%; her explanation page lists the
counted contracts with their outcome and the what-if of the contract still running, and none
of her pages ever shows a client's private part.

Hiring, funding and paying are not the subject here: the three contracts start from
offers accepted through the services and are paid through the API (the reviews factories);
the browser walks what the issue names."""

import re
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

import pytest

from openlance.accounts.models import User
from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.contracts.models import Contract
from openlance.contracts.offers.services import offer_accept
from openlance.contracts.tests.factories import fixed_terms, offer
from openlance.jobs.tests.factories import job_post
from openlance.profiles.tests.factories import client_with_profile, freelancer_with_profile
from openlance.reviews.models import FEEDBACK_WINDOW
from openlance.reviews.tests.factories import release
from openlance.web.tests.browser import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SHOP = "Online shop for a ceramics studio"  # Nora's, $500: ends positive
MENU = "Menu site for a noodle bar"  # Omar's, $300: ends neutral (recommend 7)
BOOKING = "Booking page for a yoga studio"  # Pia's, $200 paid: still running

RATING_LABELS = (
    "Skills",
    "Quality of work",
    "Availability",
    "Adherence to deadlines",
    "Communication",
    "Cooperation",
)
NORA_ON_MAYA = "Maya built exactly the shop we pictured, and early."
MAYA_ON_NORA = "Clear brief, quick answers, paid on time."
MAYA_ON_OMAR = "A friendly client with a fast-moving menu."
OMAR_ON_MAYA = "Good work, though the scope kept us both busy."
COMPLETED = "Job completed successfully"
SCOPE_CHANGED = "The budget or scope changed"
# Whatever a client's private part could look like on a page: its labels, its reasons and
# a "n of 10" recommend figure.
PRIVATE_MARKS = ("Would recommend", "Why it ended", "Private feedback", COMPLETED, SCOPE_CHANGED)
DASH = "\u2013"  # as the explanation prints a span of dates
OF_TEN = re.compile(r"\b\d{1,2} of 10\b")


def person(email: str, first: str, last: str, *, client: bool = False) -> User:
    if client:
        return client_with_profile(
            user=client_user(email=email, first_name=first, last_name=last)
        ).user
    user = freelancer_user(email=email, first_name=first, last_name=last)
    freelancer_with_profile(user=user, title="Shop builder for makers")
    return user


def paid_contract(client: User, freelancer: User, title: str, cents: int) -> Contract:
    """A running fixed-price contract whose one milestone was funded, submitted and
    approved: the freelancer has been paid `cents`, and nothing stops either side ending
    it."""
    job = job_post(client=client, title=title, budget_cents=cents)
    pending = offer(
        terms=fixed_terms([cents], title=title, criteria=()), job=job, freelancer=freelancer
    )
    contract = offer_accept(freelancer=freelancer, offer=pending, revision=pending.revision)
    release(contract)
    return contract


def day(moment: datetime | None) -> str:
    """As the pages print a date ("M j, Y")."""
    assert moment is not None
    return f"{moment:%b} {moment.day}, {moment:%Y}"


def deadline(contract: Contract) -> str:
    contract.refresh_from_db()
    assert contract.ended_at is not None
    return day(contract.ended_at + FEEDBACK_WINDOW)


@pytest.fixture
def browser_as(chromium, live_server) -> Iterator[Callable[[str], Any]]:
    """A signed-in tab in a browser of its own, for each client."""
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


def end_contract(tab: Any, contract: Contract) -> None:
    tab.goto(f"/contracts/{contract.pk}/")
    tab.get_by_role("heading", name=contract.title, level=1).wait_for()
    tab.get_by_text("End contract…").click()  # asks first
    tab.get_by_role("button", name="Yes, end the contract").click()
    tab.get_by_text("The contract has ended.").wait_for()
    assert tab.locator(".card-head .badge").first.inner_text() == "Ended"


def feedback_card(tab: Any, contract: Contract, says: str) -> Any:
    """The contract room's feedback card, once htmx has swapped in where it stands."""
    tab.goto(f"/contracts/{contract.pk}/")
    card = tab.get_by_test_id("feedback-card").filter(has_text=says)
    card.wait_for()
    return card


def leave_feedback(
    tab: Any,
    ratings: Sequence[int],
    text: str,
    *,
    end_reason: str | None = None,
    recommend: int | None = None,
) -> None:
    form = tab.locator("#my-feedback form")
    for label, rating in zip(RATING_LABELS, ratings, strict=True):
        form.get_by_label(label, exact=True).select_option(str(rating))
    form.get_by_label("Your feedback").fill(text)
    if end_reason is not None:
        form.get_by_label("Why did the contract end?").select_option(label=end_reason)
    if recommend is not None:
        form.get_by_label("How likely are you to recommend").select_option(str(recommend))
    form.get_by_role("button", name="Submit feedback").click()
    tab.get_by_text("Your feedback is saved.").wait_for()


def theirs(tab: Any) -> str:
    return tab.locator("#their-feedback").inner_text()


def mine(tab: Any) -> str:
    return tab.locator("#my-feedback").inner_text()


def assert_nothing_private(tab: Any) -> None:
    """The page holds no trace of a client's private feedback, in its text or its markup."""
    html = tab.content()
    for mark in PRIVATE_MARKS:
        assert mark not in html, mark
    assert not OF_TEN.search(tab.locator("body").inner_text())
    assert tab.get_by_test_id("private-feedback").count() == 0
    assert tab.get_by_label("How likely are you to recommend").count() == 0


def open_explanation(tab: Any) -> Any:
    tab.locator("details.menu > summary").click()
    tab.get_by_role("link", name="Job Success", exact=True).click()
    tab.get_by_role("heading", name="Your Job Success Score").wait_for()
    return tab.get_by_test_id("jss-score")


def counted_rows(tab: Any) -> list[list[str]]:
    rows = tab.get_by_test_id("jss-counted").locator("tbody tr")
    return [
        [cell.strip() for cell in rows.nth(n).locator("td").all_inner_texts()]
        for n in range(rows.count())
    ]


def what_if(tab: Any, title: str) -> str:
    return tab.get_by_test_id("jss-what-if").locator("li", has_text=f"“{title}”").inner_text()


def open_profile(tab: Any) -> Any:
    tab.locator("details.menu > summary").click()
    tab.get_by_role("link", name="My public profile").click()
    tab.get_by_role("heading", name="Maya L.", level=1).wait_for()
    return tab.get_by_test_id("jss-explanation-link")


def track_record_jss(tab: Any) -> str:
    facts = tab.locator("section.card", has=tab.get_by_role("heading", name="Track record"))
    return facts.locator("dt:has-text('Job Success') + dd").inner_text()


def test_double_blind_feedback_and_the_score_from_a_second_client(
    page, browser_as, assert_ledger_sound
):
    maya = person("maya@example.com", "Maya", "Lopez")
    nora = person("nora@example.com", "Nora", "Quinn", client=True)
    omar = person("omar@example.com", "Omar", "Haddad", client=True)
    pia = person("pia@example.com", "Pia", "Berg", client=True)
    shop = paid_contract(nora, maya, SHOP, 50_000)
    menu = paid_contract(omar, maya, MENU, 30_000)
    booking = paid_contract(pia, maya, BOOKING, 20_000)

    # Before anything ends: three running contracts count for nothing yet.
    sign_in(page, "maya@example.com")
    score = open_explanation(page)
    assert score.get_by_role("heading", name="No score yet").is_visible()
    assert (
        "No score yet — here is what counts: 0 of 2 contracts from 0 of 2 clients"
        in score.inner_text()
    )
    assert "None yet." in page.get_by_test_id("jss-counted").inner_text()
    assert open_profile(page).inner_text() == "No score yet"
    assert track_record_jss(page) == "No score yet"

    # Nora ends the shop contract from its room; the room's card asks for her feedback
    # before the window's deadline.
    nora_tab = browser_as("nora@example.com")
    end_contract(nora_tab, shop)
    card = feedback_card(nora_tab, shop, f"Leave feedback on Maya Lopez by {deadline(shop)}.")
    assert "They have left theirs" not in card.inner_text()
    card.get_by_role("link", name="Leave feedback").click()
    nora_tab.get_by_role("heading", name="Feedback", level=1).wait_for()
    assert nora_tab.get_by_text(f"On “{SHOP}” with Maya Lopez").is_visible()
    leave_feedback(nora_tab, [5] * 6, NORA_ON_MAYA, end_reason=COMPLETED, recommend=10)
    # Nora sees her own feedback, private part included, and is told it is still hidden.
    assert NORA_ON_MAYA in mine(nora_tab)
    assert "Hidden from them until revealed" in mine(nora_tab)
    private = nora_tab.get_by_test_id("private-feedback").inner_text()
    assert COMPLETED in private
    assert "10 of 10" in private
    assert "Waiting for Maya Lopez." in theirs(nora_tab)

    # Maya's room says Nora has left hers; her feedback page says so without showing it.
    card = feedback_card(page, shop, f"Leave feedback on Nora Quinn by {deadline(shop)}.")
    assert "They have left theirs: both reveal when you submit yours." in card.inner_text()
    card.get_by_role("link", name="Leave feedback").click()
    page.get_by_role("heading", name="Feedback", level=1).wait_for()
    assert "Nora Quinn has left their feedback. Leave yours: both reveal together" in theirs(page)
    assert NORA_ON_MAYA not in page.content()
    assert_nothing_private(page)
    leave_feedback(page, [5, 5, 4, 5, 5, 5], MAYA_ON_NORA)

    # Both have submitted: each reads the other's, and it is final.
    assert NORA_ON_MAYA in theirs(page)
    assert "5 of 5 overall" in theirs(page)
    assert MAYA_ON_NORA in mine(page)
    assert "when you had both submitted" in page.locator("aside").inner_text()
    assert page.get_by_role("button", name="Save changes").count() == 0
    assert_nothing_private(page)
    nora_tab.reload()
    assert MAYA_ON_NORA in theirs(nora_tab)
    assert "4.83 of 5 overall" in theirs(nora_tab)
    assert "10 of 10" in nora_tab.get_by_test_id("private-feedback").inner_text()
    card = feedback_card(page, shop, "Nora Quinn rated you")
    assert "Nora Quinn rated you 5 of 5." in card.inner_text()

    # One counted contract from one client: still no score, on the page and the profile.
    score = open_explanation(page)
    assert score.get_by_role("heading", name="No score yet").is_visible()
    assert (
        "No score yet — here is what counts: 1 of 2 contracts from 1 of 2 clients"
        in score.inner_text()
    )
    assert "1 more contract, 1 more client to go" in score.inner_text()
    assert counted_rows(page) == [
        [
            f"{SHOP}\nNora Quinn · Ended with the client's feedback",
            f"{day(shop.started_at)} {DASH} {day(shop.ended_at)}",
            "$500.00",
            "6, 12, 24 months",
            "Positive",
        ]
    ]
    # A second client's feedback on either running contract would make the score.
    assert "if it ends positive → 100%; negative → 63%" in what_if(page, MENU)
    assert "if it ends positive → 100%; negative → 71%" in what_if(page, BOOKING)
    assert_nothing_private(page)
    assert open_profile(page).inner_text() == "No score yet"
    assert_nothing_private(page)

    # Maya ends the menu contract herself and, this time, leaves her feedback first.
    end_contract(page, menu)
    card = feedback_card(page, menu, f"Leave feedback on Omar Haddad by {deadline(menu)}.")
    card.get_by_role("link", name="Leave feedback").click()
    page.get_by_role("heading", name="Feedback", level=1).wait_for()
    leave_feedback(page, [5] * 6, MAYA_ON_OMAR)
    assert MAYA_ON_OMAR in mine(page)
    assert "Hidden from them until revealed" in mine(page)
    assert "Waiting for Omar Haddad." in theirs(page)
    # Her feedback alone does not count: the client's is what the score reads.
    score = open_explanation(page)
    assert "1 of 2 contracts from 1 of 2 clients" in score.inner_text()
    assert f"“{MENU}” (Omar Haddad, ended): if it ends positive → 100%" in what_if(page, MENU)

    # Omar is told Maya has left hers, but cannot read it until he leaves his.
    omar_tab = browser_as("omar@example.com")
    card = feedback_card(
        omar_tab, menu, "They have left theirs: both reveal when you submit yours."
    )
    card.get_by_role("link", name="Leave feedback").click()
    omar_tab.get_by_role("heading", name="Feedback", level=1).wait_for()
    assert "Maya Lopez has left their feedback. Leave yours: both reveal together" in theirs(
        omar_tab
    )
    assert MAYA_ON_OMAR not in omar_tab.content()
    leave_feedback(
        omar_tab,
        [5, 4, 5, 4, 5, 4],
        OMAR_ON_MAYA,
        end_reason=SCOPE_CHANGED,
        recommend=7,
    )
    assert MAYA_ON_OMAR in theirs(omar_tab)
    private = omar_tab.get_by_test_id("private-feedback").inner_text()
    assert SCOPE_CHANGED in private
    assert "7 of 10" in private
    # The check run on Maya's pages below would catch the private part where it is shown.
    with pytest.raises(AssertionError):
        assert_nothing_private(omar_tab)

    # Maya reads Omar's public feedback, and nothing of his private part.
    page.goto(f"/contracts/{menu.pk}/feedback/")
    assert OMAR_ON_MAYA in theirs(page)
    assert "4.5 of 5 overall" in theirs(page)
    assert_nothing_private(page)

    # Two counted contracts from two clients: the score appears. Positive $500 of $800
    # counted (the neutral $300 weighs but adds nothing): 62.5%, rounded half up.
    score = open_explanation(page)
    assert score.locator(".stat .value").inner_text() == "63%"
    assert score.get_by_role("heading", name="No score yet").count() == 0
    windows = score.locator("tbody tr")
    assert [windows.nth(n).locator("td").all_inner_texts() for n in range(3)] == [
        ["Last 6 months", "63%", "2", "$800.00"],
        ["Last 12 months", "63%", "2", "$800.00"],
        ["Last 24 months", "63%", "2", "$800.00"],
    ]
    rows = counted_rows(page)
    assert sorted((row[0], row[2], row[4]) for row in rows) == [
        (f"{MENU}\nOmar Haddad · Ended with the client's feedback", "$300.00", "Neutral"),
        (f"{SHOP}\nNora Quinn · Ended with the client's feedback", "$500.00", "Positive"),
    ]
    moved = page.get_by_test_id("jss-moved").inner_text()
    assert "no score → 63%" in moved
    assert f"Why: A client's feedback was revealed (“{MENU}”)." in moved
    # The running booking contract: $200 paid so far, ended now positive (700 of 1,000) or
    # negative (500 of 1,000).
    assert page.get_by_test_id("jss-what-if").locator("li").count() == 1
    assert (
        f"“{BOOKING}” (Pia Berg): if it ends positive → 70%; negative → 50%."
        == what_if(page, BOOKING).strip()
    )
    not_counted = page.get_by_test_id("jss-not-counted").inner_text()
    assert f"“{BOOKING}” (Pia Berg" in not_counted
    assert "Still running" in not_counted
    assert_nothing_private(page)

    # The profile shows the score and both clients' public feedback, nothing private.
    assert open_profile(page).inner_text() == "63% Job Success"
    assert track_record_jss(page) == "63%"
    history = page.locator("#work-history")
    assert "2 finished contracts with feedback" in history.inner_text()
    reviews = history.get_by_test_id("review")
    assert reviews.count() == 2
    for title, overall, text, author in (
        (MENU, "4.50 of 5", OMAR_ON_MAYA, "Omar H."),
        (SHOP, "5.00 of 5", NORA_ON_MAYA, "Nora Q."),
    ):
        review = reviews.filter(has_text=title).inner_text()
        assert f"{title} · {overall}" in review
        assert text in review
        assert author in review
    assert_nothing_private(page)
    for contract in (shop, menu, booking):
        page.goto(f"/contracts/{contract.pk}/")
        page.get_by_role("heading", name=contract.title, level=1).wait_for()
        assert_nothing_private(page)
    page.goto(f"/contracts/{shop.pk}/feedback/")
    assert_nothing_private(page)
