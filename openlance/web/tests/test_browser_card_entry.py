"""Card and payout method entry with the sandbox gateway, in Chromium against the live
server (issue 15), at desktop and at phone width: the card form lists the sandbox's test
cards and what each does, a declined card is said in place and not kept, a card that goes
through is saved and offered next time by what the client recognises it by, and the cards
page removes it; a freelancer adds withdrawal methods as a bank account and a PayPal
address, shown back only masked."""

import re

import pytest

from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.billing.models import SavedCard
from openlance.web.tests.browser import fill_card, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}], ids=["1280", "390"]
)
def test_a_client_pays_with_a_typed_card_then_with_the_saved_one(chromium, live_server, viewport):
    user = client_user()
    context = chromium.new_context(base_url=live_server.url, viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, user.email)
    page.goto("/wallet/")
    form = page.locator("#add-funds")

    form.get_by_text("Sandbox test cards").click()
    declined_row = form.locator("tr", has_text="4000 0000 0000 0002")
    assert "declined: card declined" in declined_row.inner_text()
    assert "succeeds" in form.locator("tr", has_text="4242 4242 4242 4242").inner_text()

    form.get_by_label("Amount").fill("80.00")
    fill_card(form, "4000 0000 0000 0002")
    form.get_by_label("Save this card for next time").check()
    form.get_by_role("button", name="Add funds").click()
    page.get_by_text("The card was declined (card_declined). Nothing was charged.").wait_for()
    assert not SavedCard.objects.filter(user=user).exists()

    form = page.locator("#add-funds")
    form.get_by_label("Amount").fill("80.00")
    fill_card(form)
    form.get_by_label("Save this card for next time").check()
    form.get_by_role("button", name="Add funds").click()
    page.get_by_text("$80.00 was added to your balance.").wait_for()
    assert page.get_by_test_id("balance-client_funding").inner_text() == "$80.00"

    # Next time the saved card is offered, chosen already, and the card fields are hidden.
    form = page.locator("#add-funds")
    saved = form.get_by_role("radio", name="Visa ending 4242 (expires 12/35)")
    assert saved.is_checked()
    assert not form.get_by_label("Card number").is_visible()
    form.get_by_label("Amount").fill("20.00")
    form.get_by_role("button", name="Add funds").click()
    page.get_by_text("$20.00 was added to your balance.").wait_for()
    assert page.get_by_test_id("balance-client_funding").inner_text() == "$100.00"
    width, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= window

    page.get_by_role("link", name="Your saved cards").click()
    page.get_by_role("heading", name="Cards", level=1).wait_for()
    card = page.get_by_test_id("saved-card")
    assert "Visa ending 4242" in card.inner_text()
    page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="Remove").click()
    page.get_by_text("No saved cards yet").wait_for()
    context.close()


def test_a_freelancer_adds_a_bank_account_and_a_paypal_address(page):
    user = freelancer_user()
    sign_in(page, user.email)
    page.goto("/wallet/")
    settings = page.locator("#payout-settings")
    # The form asks for what the chosen method needs, and only that.
    assert settings.get_by_label("Routing number").is_visible()
    assert not settings.get_by_label("PayPal address").is_visible()
    settings.get_by_label("Account holder").fill("Jane Doe")
    settings.get_by_label("Routing number").fill("110000001")
    settings.get_by_label("Account number").fill("000123456789")
    settings.get_by_role("button", name="Add method").click()
    page.get_by_text("Enter the 9-digit routing number").wait_for()
    settings = page.locator("#payout-settings")
    settings.get_by_label("Routing number").fill("110000000")
    settings.get_by_role("button", name="Add method").click()
    page.get_by_text("US bank (ACH) ••••6789", exact=True).wait_for()

    settings = page.locator("#payout-settings")
    settings.get_by_text("Add a method").click()
    settings.get_by_role("radio", name=re.compile("^PayPal")).check()
    assert not settings.get_by_label("Routing number").is_visible()
    settings.get_by_label("PayPal address").fill("jane.doe@example.com")
    settings.get_by_role("button", name="Add method").click()
    page.get_by_text("PayPal j•••@example.com", exact=True).wait_for()
    assert "000123456789" not in page.content()
    assert "jane.doe@" not in page.content()
