"""Card entry and saved cards: the sandbox's card form, saving, choosing and removing cards,
the cards page and API, and what a removed card may no longer be charged for."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from django.test import override_settings

from openlance.accounts.services import token_create
from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.billing.card_forms import PayWithForm
from openlance.billing.cards import (
    MAX_SAVED_CARDS,
    card_reference_check,
    card_remove,
    card_removed,
    card_save,
)
from openlance.billing.connects import connects_plans_run_due, connects_plus_subscribe
from openlance.billing.gateway import SandboxGateway, sandbox_card_tokenize
from openlance.billing.models import CardCharge, SandboxCard, SandboxOperation, SavedCard
from openlance.billing.tests.card_entry import new_card
from openlance.billing.tests.factories import saved_card
from openlance.connects.models import ConnectsAccount, Plan
from openlance.core.clock import frozen_at
from openlance.core.errors import InvalidInput, NotFound
from openlance.core.money import Money
from openlance.ledger.models import Transfer

pytestmark = pytest.mark.usefixtures("assert_ledger_sound")

NOW = datetime(2026, 12, 5, 9, tzinfo=UTC)


def _key(html: str) -> str:
    return re.search(r'name="key" value="([0-9a-f-]{36})"', html).group(1)


def _deposit(client, data):
    key = _key(client.get("/wallet/").content.decode())
    return client.post("/wallet/deposit/", {"amount": "100.00", "key": key, **data})


def _charges() -> list[SandboxOperation]:
    return list(SandboxOperation.objects.filter(kind="charge").order_by("created_at", "id"))


# --- the sandbox's card form ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"card_number": "4242 4242 4242 4241"}, "card_number", "as printed on the card"),
        ({"card_number": "4242"}, "card_number", "as printed on the card"),
        ({"card_expiry": "13/30"}, "card_expiry", "01 to 12"),
        ({"card_expiry": "11/26"}, "card_expiry", "has expired"),
        ({"card_expiry": "soon"}, "card_expiry", "MM/YY"),
        ({"card_cvc": "12"}, "card_cvc", "3 or 4 digits"),
    ],
)
def test_the_card_form_says_what_is_wrong_in_place(change, field, message):
    with frozen_at(NOW):
        form = PayWithForm({**new_card(), **change})
        assert not form.is_valid()
    assert message in " ".join(form.errors[field])
    shown_again = str(form)
    assert 'value="4242' not in shown_again  # the number is typed again, never echoed
    assert 'value="123"' not in shown_again
    assert 'value="12"' not in shown_again


def test_the_form_offers_the_balance_saved_cards_that_have_not_expired_and_a_new_card(db):
    user = client_user()
    with frozen_at(NOW):
        kept = card_save(user=user, payment_method="pm_card_visa")
        expired = saved_card(user, "pm_old", last4="1111", exp_month=1, exp_year=2026)

        class Form(PayWithForm):
            balance_label = "My balance"

        form = Form(cards=[kept, expired])
    assert [value for value, _ in form.fields["pay_with"].choices] == [
        "balance",
        f"card-{kept.pk}",
        "new",
    ]
    assert form.initial["pay_with"] == "balance"
    with frozen_at(NOW):
        chosen = Form({"pay_with": f"card-{expired.pk}"}, cards=[kept, expired])
        assert not chosen.is_valid()  # an expired card is no choice


def test_only_the_sandbox_test_numbers_are_taken(db):
    with pytest.raises(InvalidInput) as refused:
        sandbox_card_tokenize(number="4111111111111111", exp_month=1, exp_year=2030)
    assert refused.value.field_errors == {"card_number": ["Use one of the sandbox's test cards."]}
    first = sandbox_card_tokenize(number="4242424242424242", exp_month=1, exp_year=2030)
    again = sandbox_card_tokenize(number="4242424242424242", exp_month=1, exp_year=2030)
    other = sandbox_card_tokenize(number="4242424242424242", exp_month=2, exp_year=2030)
    assert first == again != other
    card = SandboxCard.objects.get(token=first)
    assert (card.brand, card.last4, card.exp_month, card.exp_year) == ("Visa", "4242", 1, 2030)


def test_a_tokenized_card_charges_as_its_test_number_says_until_it_expires(db):
    gateway = SandboxGateway()
    good = sandbox_card_tokenize(number="4242424242424242", exp_month=1, exp_year=2027)
    declined = sandbox_card_tokenize(number="4000000000000002", exp_month=1, exp_year=2027)

    def charge(token, key, at):
        with frozen_at(at):
            return gateway.charge(
                amount=Money(100), payment_method=token, idempotency_key=key, description="t"
            )

    assert charge(good, "a", NOW).succeeded
    assert charge(declined, "b", NOW).decline_reason == "card_declined"
    assert charge(good, "c", datetime(2027, 2, 1, tzinfo=UTC)).decline_reason == "expired_card"


# --- paying with a new or a saved card -------------------------------------------------------


def test_a_deposit_with_a_new_card_saves_what_the_payer_recognises_and_never_the_number(client):
    user = client_user()
    client.force_login(user)
    with frozen_at(NOW):
        done = _deposit(client, new_card(save=True))
    assert done.status_code == 302
    card = SavedCard.objects.get(user=user)
    assert str(card) == "Visa ending 4242 (expires 12/35)"
    stored = [
        *SavedCard.objects.values_list(flat=False),
        *SandboxCard.objects.values_list(flat=False),
        *SandboxOperation.objects.values_list(flat=False),
    ]
    assert "4242424242424242" not in repr(stored)
    [charge] = _charges()
    assert charge.instrument == card.payment_method

    with frozen_at(NOW):
        page = client.get("/wallet/").content.decode()
        assert "Visa ending 4242 (expires 12/35)" in page
        again = _deposit(client, {"pay_with": f"card-{card.pk}"})
    assert again.status_code == 302
    assert [c.instrument for c in _charges()] == [card.payment_method] * 2
    assert SavedCard.objects.filter(user=user).count() == 1


def test_a_new_card_not_to_be_saved_is_charged_and_forgotten(client):
    client.force_login(client_user())
    with frozen_at(NOW):
        assert _deposit(client, new_card()).status_code == 302
    assert not SavedCard.objects.exists()
    assert Transfer.objects.filter(kind="deposit").count() == 1


def test_a_declined_new_card_is_not_saved_and_the_reason_is_shown(client):
    user = client_user()
    client.force_login(user)
    with frozen_at(NOW):
        refused = _deposit(client, new_card("pm_card_insufficient_funds", save=True))
    assert refused.status_code == 422
    assert "The card was declined (insufficient_funds)" in refused.content.decode()
    assert not SavedCard.objects.filter(user=user).exists()
    assert not Transfer.objects.exists()


def test_a_number_the_sandbox_does_not_know_is_refused_on_its_field(client):
    client.force_login(client_user())
    with frozen_at(NOW):
        refused = _deposit(client, {**new_card(), "card_number": "4111 1111 1111 1111"})
    assert refused.status_code == 422
    assert "Use one of the sandbox" in refused.content.decode()
    assert not _charges()


def test_someone_elses_or_a_removed_card_is_no_choice(client):
    mine, theirs = client_user(), client_user()
    with frozen_at(NOW):
        their_card = card_save(user=theirs, payment_method="pm_card_visa")
        my_card = card_save(user=mine, payment_method="pm_card_mastercard")
    client.force_login(mine)
    with frozen_at(NOW):
        assert _deposit(client, {"pay_with": f"card-{their_card.pk}"}).status_code == 422
        assert client.post(f"/wallet/cards/{my_card.pk}/remove/").status_code == 302
        assert _deposit(client, {"pay_with": f"card-{my_card.pk}"}).status_code == 422
        assert client.post(f"/wallet/cards/{their_card.pk}/remove/").status_code == 404
    assert not _charges()
    assert SavedCard.objects.get(pk=their_card.pk).removed_at is None


def test_a_client_keeps_at_most_ten_cards(db):
    user = client_user()
    with frozen_at(NOW):
        for month in range(1, MAX_SAVED_CARDS + 1):
            token = sandbox_card_tokenize(number="4242424242424242", exp_month=month, exp_year=2030)
            card_save(user=user, payment_method=token)
        one_more = sandbox_card_tokenize(number="4242424242424242", exp_month=11, exp_year=2030)
        with pytest.raises(InvalidInput, match="remove one first"):
            card_save(user=user, payment_method=one_more)
        again = card_save(user=user, payment_method=token)  # the same card is found, not added
    assert SavedCard.objects.filter(user=user).count() == MAX_SAVED_CARDS
    assert again.exp_month == MAX_SAVED_CARDS


def test_a_saved_card_of_a_provider_customer_pays_for_its_owner_only(client):
    owner, other = client_user(), client_user()
    card = saved_card(owner, "cus_Owner/pm_Owner")
    auth = {"Authorization": f"Bearer {token_create(user=other, name='t')[1]}"}
    body = {"amount": {"amount": "50.00", "currency": "USD"}, "payment_method": card.payment_method}
    with frozen_at(NOW):
        refused = client.post(
            "/api/v1/wallet/deposits",
            json.dumps(body),
            content_type="application/json",
            headers=auth,
        )
        assert refused.status_code == 404, refused.content
        assert refused.json()["code"] == "not_found"
        card_reference_check(user=owner, payment_method=card.payment_method)
        card_reference_check(user=other, payment_method="pm_card_visa")  # a token: the gateway's
        card_remove(user=owner, card_id=card.pk)
        with pytest.raises(NotFound):
            card_reference_check(user=owner, payment_method=card.payment_method)
    assert not CardCharge.objects.exists()
    assert not _charges()
    # What was set to charge such a card (an hourly contract's, Plus) takes it as removed.
    assert card_removed(user=other, payment_method=card.payment_method)
    assert card_removed(user=owner, payment_method=card.payment_method)


# --- what a removed card is no longer charged for ----------------------------------------


def test_plus_does_not_renew_on_a_removed_card():
    user = freelancer_user()
    with frozen_at(NOW):
        card = card_save(user=user, payment_method="pm_card_visa")
        connects_plus_subscribe(user=user, payment_method=card.payment_method, key="plus")
    card.removed_at = NOW
    card.save()
    assert card_removed(user=user, payment_method=card.payment_method)
    renewal = datetime(2027, 1, 5, 9, tzinfo=UTC)
    with frozen_at(renewal):
        counts = connects_plans_run_due(now=renewal)
    assert counts["lapsed"] == 1
    assert ConnectsAccount.objects.get(user=user).plan == Plan.BASIC
    assert len(_charges()) == 1  # the subscription only


# --- the cards page and the API ------------------------------------------------------------


def test_the_cards_page_lists_adds_and_removes(client):
    user = client_user()
    client.force_login(user)
    with frozen_at(NOW):
        empty = client.get("/wallet/cards/").content.decode()
        assert "No saved cards yet" in empty
        assert "4242 4242 4242 4242" in empty  # the sandbox's test cards are listed
        refused = client.post("/wallet/cards/add/", {**new_card(), "card_expiry": "10/26"})
        assert refused.status_code == 422
        assert "This card has expired." in refused.content.decode()
        added = client.post("/wallet/cards/add/", new_card("pm_card_mastercard"), follow=True)
    page = added.content.decode()
    assert "Mastercard ending 4444 (expires 12/35) is saved." in page
    assert 'data-testid="saved-card"' in page
    card = SavedCard.objects.get(user=user)
    assert card.payment_method not in page
    with frozen_at(NOW):
        removed = client.post(f"/wallet/cards/{card.pk}/remove/", follow=True)
    assert "is removed; nothing is charged to it again" in removed.content.decode()
    assert "No saved cards yet" in removed.content.decode()


def test_the_cards_api(client):
    user, other = client_user(), client_user()
    auth = {"Authorization": f"Bearer {token_create(user=user, name='t')[1]}"}
    stranger = {"Authorization": f"Bearer {token_create(user=other, name='t')[1]}"}

    def save(token):
        body = json.dumps({"payment_method": token})
        return client.post("/api/v1/me/cards", body, content_type="application/json", headers=auth)

    with frozen_at(NOW):
        assert client.get("/api/v1/me/cards", headers=auth).json() == []
        created = save("pm_card_visa")
        assert created.status_code == 201, created.content
        body = created.json()
        assert (body["brand"], body["last4"], body["expired"]) == ("Visa", "4242", False)
        assert body["payment_method"] == "pm_card_visa"
        unknown = save("pm_nope")
        assert unknown.status_code == 422
        assert unknown["Content-Type"] == "application/problem+json"
        listed = client.get("/api/v1/me/cards", headers=auth).json()
        assert [c["id"] for c in listed] == [body["id"]]
        path = f"/api/v1/me/cards/{body['id']}"
        assert client.delete(path, headers=stranger).status_code == 404
        assert client.delete(path, headers=auth).status_code == 204
        assert client.get("/api/v1/me/cards", headers=auth).json() == []
        assert client.delete(path, headers=auth).status_code == 404
        huge = f"/api/v1/me/cards/{2**70}"
        assert client.delete(huge, headers=auth).status_code == 404


# --- with Stripe, the card fields are Stripe Elements -----------------------------------


@override_settings(PAYMENT_GATEWAY="stripe", STRIPE_PUBLISHABLE_KEY="pk_test_openlance")
def test_with_stripe_no_card_number_field_exists_and_only_a_token_is_taken(client):
    form = PayWithForm({"pay_with": "new", "card_number": "4242424242424242"})
    assert "card_number" not in form.fields
    assert not form.is_valid()
    assert "card form" in " ".join(form.errors["pay_with"])
    tokenized = PayWithForm({"pay_with": "new", "card_token": "pm_1QmT8m"})
    assert tokenized.is_valid()
    assert tokenized.payment_choice().new_card.token == "pm_1QmT8m"
    client.force_login(client_user())
    with frozen_at(NOW):
        page = client.get("/wallet/").content.decode()
    assert 'data-stripe-key="pk_test_openlance"' in page
    assert "https://js.stripe.com/v3/" in page
    assert 'name="card_number"' not in page
