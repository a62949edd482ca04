import pytest

from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.billing.models import SandboxOperation
from openlance.billing.services import funds_deposit
from openlance.core.errors import InvalidInput, PaymentDeclined
from openlance.core.money import Money
from openlance.ledger.models import AccountKind, LedgerAccount, Transfer
from openlance.ledger.selectors import platform_balance
from openlance.ledger.services import account_for

pytestmark = pytest.mark.usefixtures("assert_ledger_sound")


def _funding(user):
    return account_for(kind=AccountKind.CLIENT_FUNDING, owner=user)


def test_deposit_books_the_charge_into_the_clients_funding_account():
    client = client_user()
    transfer = funds_deposit(
        user=client, amount=Money.parse("250.00"), payment_method="pm_card_visa", key="a"
    )
    assert _funding(client).balance_cents == 25_000
    assert platform_balance(AccountKind.GATEWAY_CLEARING).cents == -25_000
    assert transfer.kind == "deposit"


def test_retry_with_the_same_key_charges_and_books_once():
    client = client_user()
    first = funds_deposit(
        user=client, amount=Money(10_000), payment_method="pm_card_visa", key="same"
    )
    second = funds_deposit(
        user=client, amount=Money(10_000), payment_method="pm_card_visa", key="same"
    )
    assert first.pk == second.pk
    assert SandboxOperation.objects.count() == 1
    assert _funding(client).balance_cents == 10_000


def test_same_key_other_amount_is_refused():
    client = client_user()
    funds_deposit(user=client, amount=Money(10_000), payment_method="pm_card_visa", key="same")
    with pytest.raises(InvalidInput):
        funds_deposit(user=client, amount=Money(20_000), payment_method="pm_card_visa", key="same")
    assert _funding(client).balance_cents == 10_000


def test_declined_card_leaves_no_partial_state():
    client = client_user()
    with pytest.raises(PaymentDeclined):
        funds_deposit(user=client, amount=Money(10_000), payment_method="pm_card_declined", key="d")
    assert not Transfer.objects.exists()
    assert not LedgerAccount.objects.filter(balance_cents__gt=0).exists()


@pytest.mark.parametrize("amount", [Money(499), Money(5_000_001), Money(1_000, "EUR")])
def test_amount_limits(amount):
    with pytest.raises(InvalidInput):
        funds_deposit(user=client_user(), amount=amount, payment_method="pm_card_visa", key="x")
    assert not SandboxOperation.objects.exists()


def test_freelancer_only_accounts_cannot_add_funds():
    with pytest.raises(InvalidInput, match="client"):
        funds_deposit(
            user=freelancer_user(), amount=Money(1_000), payment_method="pm_card_visa", key="f"
        )
    assert not SandboxOperation.objects.exists()
