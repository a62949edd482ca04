import re

import pytest

from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.billing.models import SandboxOperation
from openlance.billing.services import funds_deposit
from openlance.billing.tests.card_entry import new_card
from openlance.core.money import Money
from openlance.ledger.models import Transfer

pytestmark = pytest.mark.usefixtures("assert_ledger_sound")


def _key(html: str) -> str:
    return re.search(r'name="key" value="([0-9a-f-]{36})"', html).group(1)


def _deposit(client, key, amount="250.00", card="pm_card_visa"):
    return client.post("/wallet/deposit/", {"amount": amount, "key": key, **new_card(card)})


def test_empty_wallet_says_what_to_do_next(client):
    client.force_login(client_user())
    html = client.get("/wallet/").content.decode()
    assert "No money has moved yet" in html
    assert "Add funds" in html
    assert "Sandbox test cards" in html
    assert "4000 0000 0000 0002" in html  # the declined test card


def test_freelancer_wallet_has_no_deposit_form_but_explains(client):
    client.force_login(freelancer_user())
    html = client.get("/wallet/").content.decode()
    assert 'action="/wallet/deposit/"' not in html
    assert "Turn on the client role" in html
    assert "When a client pays you" in html


def test_deposit_shows_balance_and_transaction(client):
    user = client_user()
    client.force_login(user)
    response = _deposit(client, _key(client.get("/wallet/").content.decode()))
    assert response.status_code == 302
    html = client.get("/wallet/").content.decode()
    assert "$250.00 was added to your balance." in html
    assert 'data-testid="balance-client_funding">$250.00' in html
    assert "+$250.00" in html
    assert "Added funds by card" in html
    assert "amount-in" in html


def test_double_submit_of_the_same_form_books_once(client):
    user = client_user()
    client.force_login(user)
    key = _key(client.get("/wallet/").content.decode())
    assert _deposit(client, key).status_code == 302
    assert _deposit(client, key).status_code == 302
    assert Transfer.objects.filter(kind="deposit").count() == 1
    assert SandboxOperation.objects.count() == 1
    assert user.ledger_accounts.get().balance_cents == 25_000


def test_each_drawing_of_the_form_gets_a_new_key(client):
    client.force_login(client_user())
    assert _key(client.get("/wallet/").content.decode()) != _key(
        client.get("/wallet/").content.decode()
    )


def test_declined_card_changes_nothing_and_is_shown_in_place(client):
    user = client_user()
    client.force_login(user)
    key = _key(client.get("/wallet/").content.decode())
    response = _deposit(client, key, card="pm_card_declined")
    assert response.status_code == 422
    html = response.content.decode()
    assert "The card was declined (card_declined)" in html
    assert not Transfer.objects.exists()
    assert not user.ledger_accounts.exists()
    # the retry gets a new key: the gateway would answer the old one with the same decline
    retry_key = _key(html)
    assert retry_key != key
    assert _deposit(client, retry_key).status_code == 302
    assert Transfer.objects.count() == 1


def test_insufficient_funds_card_changes_nothing(client):
    client.force_login(client_user())
    key = _key(client.get("/wallet/").content.decode())
    response = _deposit(client, key, card="pm_card_insufficient_funds")
    assert "insufficient_funds" in response.content.decode()
    assert not Transfer.objects.exists()


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("abc", "Enter an amount in dollars and cents"),
        ("1.234", "Enter an amount in dollars and cents"),
        ("1.00", "Between $5.00 and $50,000.00."),
        ("50000.01", "Between $5.00 and $50,000.00."),
    ],
)
def test_bad_amounts_are_field_errors_and_book_nothing(client, amount, message):
    client.force_login(client_user())
    key = _key(client.get("/wallet/").content.decode())
    response = _deposit(client, key, amount=amount)
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_amount_errors"' in html
    assert message in html
    assert not Transfer.objects.exists()


def test_a_freelancer_cannot_deposit(client):
    client.force_login(freelancer_user())
    response = _deposit(client, "3f7b9a52-2b1e-4b0e-8d6f-0a4c1b2c3d4e")
    assert "Only clients add funds" in response.content.decode()
    assert not Transfer.objects.exists()


def test_transactions_are_paginated(client):
    user = client_user()
    for n in range(23):
        funds_deposit(
            user=user, amount=Money(1_000 + n), payment_method="pm_card_visa", key=f"k{n}"
        )
    client.force_login(user)
    first = client.get("/wallet/").content.decode()
    assert "Page 1 of 2" in first
    assert "23 in total" in first
    second = client.get("/wallet/", {"page": 2}).content.decode()
    assert "Page 2 of 2" in second
    assert second.count('<tr id="tx-') == 3


def test_wallet_lists_only_the_users_own_money(client):
    other = client_user()
    funds_deposit(user=other, amount=Money(99_900), payment_method="pm_card_visa", key="x")
    client.force_login(client_user())
    html = client.get("/wallet/").content.decode()
    assert "$999.00" not in html
    assert "No money has moved yet" in html
