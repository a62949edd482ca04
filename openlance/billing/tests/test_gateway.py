import pytest

from openlance.billing.gateway import (
    SANDBOX_RETURNING_DESTINATION,
    ChargeStatus,
    PayoutStatus,
    SandboxGateway,
    payment_gateway,
    sandbox_payout_set_status,
)
from openlance.billing.models import SandboxOperation
from openlance.core.errors import InvalidInput, NotFound
from openlance.core.money import Money

pytestmark = pytest.mark.django_db


def test_default_gateway_is_the_sandbox():
    assert payment_gateway().name == "sandbox"


def test_unknown_gateway_is_a_clear_error(settings):
    settings.PAYMENT_GATEWAY = "carrier-pigeon"
    with pytest.raises(RuntimeError, match="carrier-pigeon"):
        payment_gateway()


def test_test_card_succeeds_and_same_key_gets_same_charge():
    gateway = SandboxGateway()
    first = gateway.charge(
        amount=Money(1_000), payment_method="pm_card_visa", idempotency_key="k", description="d"
    )
    again = gateway.charge(
        amount=Money(1_000), payment_method="pm_card_visa", idempotency_key="k", description="d"
    )
    assert first.succeeded
    assert first.reference == again.reference
    assert SandboxOperation.objects.count() == 1


@pytest.mark.parametrize(
    ("card", "reason"),
    [
        ("pm_card_declined", "card_declined"),
        ("pm_card_insufficient_funds", "insufficient_funds"),
        ("pm_card_expired", "expired_card"),
        ("pm_nonsense", "unknown_payment_method"),
    ],
)
def test_declines_on_demand(card, reason):
    result = SandboxGateway().charge(
        amount=Money(1_000), payment_method=card, idempotency_key=card, description="d"
    )
    assert result.status == ChargeStatus.DECLINED
    assert result.decline_reason == reason


def test_non_positive_amounts_are_refused():
    with pytest.raises(InvalidInput):
        SandboxGateway().charge(
            amount=Money(0), payment_method="pm_card_visa", idempotency_key="z", description="d"
        )
    with pytest.raises(InvalidInput):
        SandboxGateway().payout(amount=Money(-5), destination="ba_1", idempotency_key="z")


def test_payouts_travel_then_settle_or_return():
    gateway = SandboxGateway()
    payout = gateway.payout(amount=Money(5_000), destination="ba_ok", idempotency_key="p1")
    assert payout.status == PayoutStatus.IN_TRANSIT
    assert (
        sandbox_payout_set_status(reference=payout.reference, returned=False).status
        == PayoutStatus.PAID
    )
    assert gateway.payout_status(reference=payout.reference).status == PayoutStatus.PAID

    second = gateway.payout(amount=Money(5_000), destination="ba_ok", idempotency_key="p2")
    returned = sandbox_payout_set_status(
        reference=second.reference, returned=True, reason="account_closed"
    )
    assert returned.status == PayoutStatus.RETURNED
    assert returned.return_reason == "account_closed"

    bounced = gateway.payout(
        amount=Money(5_000), destination=SANDBOX_RETURNING_DESTINATION, idempotency_key="p3"
    )
    assert bounced.status == PayoutStatus.RETURNED


def test_unknown_payout_is_not_found():
    with pytest.raises(NotFound):
        SandboxGateway().payout_status(reference="sbx_nope")
    with pytest.raises(NotFound):
        sandbox_payout_set_status(reference="sbx_nope", returned=True)
