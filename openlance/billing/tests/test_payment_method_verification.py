"""SPEC §2.3: a client's payment method is verified by their first successful card charge
(funding a milestone by card: contracts/tests/test_payment_statistics.py)."""

from datetime import timedelta

import pytest

from openlance.accounts.tests.factories import client_user
from openlance.billing.services import funds_deposit
from openlance.core import clock
from openlance.core.errors import PaymentDeclined
from openlance.core.models import OutboxEvent
from openlance.core.money import Money
from openlance.core.services import outbox_drain
from openlance.profiles.models import ClientProfile
from openlance.profiles.services import client_profile_start

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("assert_ledger_sound")]


def _verified(user):
    outbox_drain(now=clock.now())
    return ClientProfile.objects.filter(user=user, payment_method_verified=True).exists()


def test_a_successful_deposit_verifies_the_payment_method():
    client = client_user()
    funds_deposit(user=client, amount=Money(10_000), payment_method="pm_card_visa", key="a")
    assert _verified(client)


def test_a_declined_card_verifies_nothing():
    client = client_user()
    client_profile_start(user=client)
    with pytest.raises(PaymentDeclined):
        funds_deposit(user=client, amount=Money(10_000), payment_method="pm_card_declined", key="a")
    assert not _verified(client)


def test_a_charge_delivered_twice_changes_nothing_more():
    client = client_user()
    funds_deposit(user=client, amount=Money(10_000), payment_method="pm_card_visa", key="a")
    assert _verified(client)
    stamped = ClientProfile.objects.get(user=client).updated_at
    assert OutboxEvent.objects.filter(kind="payment_method.charged").update(processed_at=None) == 1
    with clock.frozen_at(clock.now() + timedelta(days=1)):
        assert _verified(client)
    assert ClientProfile.objects.get(user=client).updated_at == stamped
