import re
from datetime import UTC, datetime

import pytest

from openlance.accounts.services import user_set_roles
from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.billing.models import SandboxOperation
from openlance.billing.tests.card_entry import new_card
from openlance.connects.models import ConnectsAccount, ConnectsMove, Plan
from openlance.connects.services import connects_grant, connects_spend
from openlance.core.clock import frozen_at
from openlance.ledger.models import Transfer

pytestmark = pytest.mark.usefixtures("assert_ledger_sound", "assert_connects_sound")

NOW = datetime(2026, 3, 10, 9, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _at_now(db):
    with frozen_at(NOW):
        yield


def _keys(html: str) -> list[str]:
    return re.findall(r'name="key" value="([0-9a-f-]{36})"', html)


@pytest.fixture
def freelancer(client):
    user = freelancer_user()
    client.force_login(user)
    return user


def test_home_shows_balance_plan_prices_and_the_header_balance(client, freelancer):
    html = client.get("/connects/").content.decode()
    assert 'data-testid="connects-balance">20<' in html
    assert 'data-testid="connects-plan">Basic<' in html
    assert 'data-testid="header-connects">20 Connects<' in html
    assert "40 Connects — $6.00" in html
    assert "Subscribe to Plus for $14.99 a month" in html
    assert "None of your Connects expire in the next 30 days." in html


def test_header_shows_no_connects_while_acting_as_a_client(client):
    user = client_user()
    client.force_login(user)
    html = client.get("/wallet/").content.decode()
    assert "header-connects" not in html
    assert not ConnectsAccount.objects.exists()


def test_clients_are_asked_to_take_up_the_freelancer_role(client):
    client.force_login(client_user())
    assert client.get("/connects/").status_code == 403
    assert client.get("/connects/history/").status_code == 403
    response = client.post("/connects/buy/", {"bundle": "10"})
    assert response.status_code == 403
    assert not SandboxOperation.objects.exists()


def test_pages_need_a_login(client):
    for url in ("/connects/", "/connects/history/"):
        assert client.get(url).status_code == 302


def test_buying_a_bundle_adds_it_once_even_when_submitted_twice(client, freelancer):
    key = _keys(client.get("/connects/").content.decode())[0]
    form = {"bundle": "20", **new_card("pm_card_visa"), "key": key}
    assert client.post("/connects/buy/", form).status_code == 302
    assert client.post("/connects/buy/", form).status_code == 302
    html = client.get("/connects/").content.decode()
    assert "You bought 20 Connects for $3.00." in html
    assert 'data-testid="connects-balance">40<' in html
    assert Transfer.objects.count() == 1


def test_a_declined_card_is_shown_in_place_with_a_fresh_key(client, freelancer):
    key = _keys(client.get("/connects/").content.decode())[0]
    response = client.post(
        "/connects/buy/", {"bundle": "10", **new_card("pm_card_declined"), "key": key}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "The card was declined (card_declined)" in html
    assert key not in _keys(html)
    assert not Transfer.objects.exists()
    assert not ConnectsMove.objects.filter(kind="purchase").exists()


def test_a_bundle_the_policy_does_not_offer_is_a_form_error(client, freelancer):
    key = _keys(client.get("/connects/").content.decode())[0]
    response = client.post(
        "/connects/buy/", {"bundle": "15", **new_card("pm_card_visa"), "key": key}
    )
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert not SandboxOperation.objects.exists()


def test_subscribe_then_cancel_plus(client, freelancer):
    key = _keys(client.get("/connects/").content.decode())[1]
    response = client.post(
        "/connects/plan/", {"action": "subscribe", **new_card("pm_card_visa"), "key": key}
    )
    assert response.status_code == 302
    html = client.get("/connects/").content.decode()
    assert 'data-testid="connects-plan">Plus<' in html
    assert 'data-testid="connects-balance">90<' in html
    assert "Cancel Plus" in html
    assert client.post("/connects/plan/", {"action": "cancel"}).status_code == 302
    html = client.get("/connects/").content.decode()
    assert "Plus is cancelled. It stays active until April 10, 2026" in html
    assert "Keep Plus" in html
    assert ConnectsAccount.objects.get(user=freelancer).plan == Plan.PLUS


def test_a_declined_plus_subscription_stays_on_basic(client, freelancer):
    key = _keys(client.get("/connects/").content.decode())[1]
    response = client.post(
        "/connects/plan/",
        {"action": "subscribe", **new_card("pm_card_insufficient_funds"), "key": key},
    )
    assert response.status_code == 422
    assert "insufficient_funds" in response.content.decode()
    assert ConnectsAccount.objects.get(user=freelancer).plan == Plan.BASIC


def test_cancelling_basic_is_explained(client, freelancer):
    response = client.post("/connects/plan/", {"action": "cancel"}, follow=True)
    assert "there is no Plus subscription to cancel" in response.content.decode()


def test_history_lists_every_move_with_its_reference(client, freelancer):
    connects_grant(user=freelancer, units=10, source="purchase", key="b", description="Bought")
    connects_spend(
        user=freelancer, units=4, key="p", description="Proposal sent", reference="proposal:7"
    )
    html = client.get("/connects/history/").content.decode()
    assert "Proposal sent" in html
    assert "proposal:7" in html
    assert ">-4<" in html


def test_history_empty_state(client):
    user = freelancer_user()
    client.force_login(user)
    with frozen_at(datetime(2018, 3, 10, tzinfo=UTC)):
        html = client.get("/connects/history/").content.decode()
    assert "No Connects have moved yet" in html


def test_history_pages_turn_in_place_with_htmx(client, freelancer):
    for n in range(30):
        connects_grant(user=freelancer, units=1, source="purchase", key=f"g{n}", description="t")
    response = client.get("/connects/history/?page=2", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html
    assert "Page 2 of 2" in html


def test_someone_who_left_the_freelancer_role_can_still_see_and_cancel_plus(client, freelancer):
    key = _keys(client.get("/connects/").content.decode())[1]
    client.post("/connects/plan/", {"action": "subscribe", **new_card("pm_card_visa"), "key": key})
    user_set_roles(user=freelancer, freelancer=False, client=True)
    assert "Cancel Plus" in client.get("/connects/").content.decode()
    response = client.post("/connects/plan/", {"action": "cancel"}, follow=True)
    assert response.status_code == 200
    assert "Plus is cancelled" in response.content.decode()
    assert ConnectsAccount.objects.get(user=freelancer).plus_cancelled_at is not None
    subscribe = client.post(
        "/connects/plan/", {"action": "subscribe", **new_card("pm_card_visa"), "key": key}
    )
    assert subscribe.status_code == 403


def test_a_client_without_connects_cancelling_gets_no_account(client):
    client.force_login(client_user())
    response = client.post("/connects/plan/", {"action": "cancel"})
    assert response.status_code == 302
    assert not ConnectsAccount.objects.exists()
