"""A person signs up, confirms their email, makes an API token and uses it; a client adds
funds. Driven through Chromium against the live server."""

import json
import re
import urllib.request

import pytest
from django.core import mail

from openlance.accounts.tests.factories import PASSWORD, client_user
from openlance.web.tests.browser import fill_card

# serialized_rollback: a transactional test flushes the tables afterwards; this restores
# what migrations seeded (policies, skills, staff groups) for the next one.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_sign_up_confirm_create_a_token_and_call_the_api(page, live_server):
    page.goto("/")
    page.get_by_role("link", name="Sign up").first.click()
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("I want to hire freelancers").check()
    page.get_by_label("Email").fill("ada@example.com")
    page.locator("#id_password1").fill("an-unusual-passphrase")
    page.locator("#id_password2").fill("an-unusual-passphrase")
    page.get_by_role("button", name="Sign Up").click()
    page.get_by_role("heading", name="Verify Your Email Address").wait_for()

    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)
    page.goto(re.sub(r"^https?://[^/]+", live_server.url, link))
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="Welcome, Ada").wait_for()
    assert page.get_by_role("button", name="Client").get_attribute("aria-pressed") == "true"

    page.goto("/account/tokens/")
    page.get_by_text("No tokens yet").wait_for()
    page.get_by_label("Name").fill("my script")
    page.get_by_role("button", name="Create token").click()
    secret = page.get_by_test_id("token-secret").inner_text().strip()
    assert secret.startswith("olp_")
    page.get_by_role("link", name="I have saved it").click()
    assert "my script" in page.content()
    assert secret not in page.content()

    request = urllib.request.Request(
        f"{live_server.url}/api/v1/me", headers={"Authorization": f"Bearer {secret}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        me = json.load(response)
    assert me["email"] == "ada@example.com"
    assert me["email_verified"] is True
    assert me["roles"] == ["client"]


def test_a_client_adds_funds_and_sees_balance_and_transaction(page):
    client_user(email="client@example.com")
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("client@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("link", name="Wallet", exact=True).click()
    page.get_by_text("No money has moved yet").wait_for()

    page.get_by_label("Amount").fill("99.99")
    fill_card(page.locator("#add-funds"), "4000 0000 0000 0002")
    page.get_by_role("button", name="Add funds").click()
    page.get_by_text("The card was declined").wait_for()
    assert page.get_by_text("No money has moved yet").is_visible()

    page.get_by_label("Amount").fill("250.00")
    fill_card(page.locator("#add-funds"))
    page.get_by_role("button", name="Add funds").click()
    page.get_by_text("$250.00 was added to your balance.").wait_for()
    assert page.get_by_test_id("balance-client_funding").inner_text() == "$250.00"
    row = page.locator("#transactions tbody tr").first
    assert "Added funds by card" in row.inner_text()
    assert "+$250.00" in row.inner_text()
