"""The operator console's read-only pages for payouts and Connects."""

from datetime import timedelta

import pytest

from openlance.accounts.models import User
from openlance.accounts.tests.factories import freelancer_user
from openlance.billing.connects import connects_bundle_buy
from openlance.billing.models import Payout, PayoutSettings, PendingEarning, WithdrawalMethod
from openlance.billing.payouts import payout_settings_update, withdrawal_create
from openlance.billing.tests.payout_helpers import available, pending_earning, usable_method
from openlance.connects.models import ConnectsAccount, ConnectsLot, ConnectsMove
from openlance.core.money import Money

pytestmark = pytest.mark.usefixtures("assert_ledger_sound", "assert_connects_sound")

MODELS = {
    "payout": Payout,
    "withdrawalmethod": WithdrawalMethod,
    "pendingearning": PendingEarning,
    "payoutsettings": PayoutSettings,
    "connectsaccount": ConnectsAccount,
    "connectslot": ConnectsLot,
    "connectsmove": ConnectsMove,
}


@pytest.fixture
def operator(client):
    user = User.objects.create_superuser("ops@example.com", "x")
    client.force_login(user)
    return user


@pytest.fixture
def freelancer():
    user = freelancer_user(email="earner@example.com")
    usable_method(user)
    available(user, 50_000)
    pending_earning(user, 1_000, n=2)
    withdrawal_create(user=user, amount=Money(20_000), key="w")
    payout_settings_update(user=user, schedule="monthly", threshold=Money(20_000))
    connects_bundle_buy(user=user, bundle=10, payment_method="pm_card_visa", key="b")
    return user


def _url(name: str, suffix: str = "") -> str:
    app = "connects" if name.startswith("connects") else "billing"
    return f"/admin/{app}/{name}/{suffix}"


def test_payouts_and_connects_are_listed_searchable_and_filterable(client, operator, freelancer):
    freelancer_user(email="someone.else@example.com")
    for name, model in MODELS.items():
        listing = client.get(_url(name), {"q": "earner@"})
        assert listing.status_code == 200, name
        assert "earner@example.com" in listing.content.decode(), name
        assert "someone.else" not in listing.content.decode(), name
        detail = client.get(_url(name, f"{model.objects.first().pk}/change/"))
        assert detail.status_code == 200, name
    assert client.get(_url("payout"), {"status__exact": "in_transit"}).status_code == 200
    assert client.get(_url("payout"), {"method__kind__exact": "ach"}).status_code == 200
    move = ConnectsMove.objects.get(kind="purchase")
    html = client.get(_url("connectsmove", f"{move.pk}/change/")).content.decode()
    assert "Connects entries" in html


def test_they_cannot_be_added_changed_or_deleted(client, operator, freelancer):
    for name, model in MODELS.items():
        pk = model.objects.first().pk
        assert client.get(_url(name, "add/")).status_code == 403, name
        assert client.post(_url(name, f"{pk}/delete/"), {"post": "yes"}).status_code == 403, name
        before = model.objects.count()
        client.post(_url(name, f"{pk}/change/"), {})
        assert model.objects.count() == before
    earning = PendingEarning.objects.filter(released_at__isnull=True).get()
    client.post(
        _url("pendingearning", f"{earning.pk}/change/"),
        {"available_at_0": "2020-01-01", "available_at_1": "00:00"},
    )
    earning.refresh_from_db()
    assert earning.available_at - earning.created_at > timedelta(days=1)
