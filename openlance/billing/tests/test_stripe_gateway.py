"""The Stripe adapter, tested against stored answers written from Stripe's API reference.

A fixture HTTP client stands in for the network: it records each request exactly as the
official library would send it and answers from tests/fixtures/stripe/*.json.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import stripe
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from openlance.accounts.services import token_create
from openlance.accounts.tests.factories import client_user
from openlance.billing import stripe_gateway
from openlance.billing.gateway import (
    ChargeStatus,
    PaymentGatewayUnavailable,
    PayoutStatus,
    payment_gateway,
)
from openlance.billing.services import funds_deposit
from openlance.billing.stripe_gateway import StripeGateway
from openlance.core.errors import IdempotencyConflict, InvalidInput, NotFound, PaymentDeclined
from openlance.core.money import Money
from openlance.ledger.models import AccountKind, Transfer
from openlance.ledger.services import account_for

FIXTURES = Path(__file__).parent / "fixtures" / "stripe"
SECRET = "sk_test_51Openlance0000000000000000000000"
PM = "pm_1QmT8mLkdIwHu7ixq9Wv3R2s"
ACCOUNT = "acct_1QkP9zQ3vRt6YhLm"
TRANSFER = "tr_1QmU2aLkdIwHu7ixN3bV8yKp"

pytestmark = pytest.mark.usefixtures("assert_ledger_sound")


@dataclass
class SentRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: str | None

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def params(self) -> dict[str, str]:
        return dict(parse_qsl(self.body or "", keep_blank_values=True))


class FixtureClient(stripe.HTTPClient):
    """Answers each request with the next queued reply: (fixture name, HTTP status) or an
    exception to raise, as a dropped connection would."""

    name = "fixtures"

    def __init__(self, *replies: tuple[str, int] | Exception) -> None:
        super().__init__()
        self.replies = list(replies)
        self.sent: list[SentRequest] = []

    def request(
        self,
        method: str,
        url: str,
        headers: Any,
        post_data: Any = None,
        *,
        _usage: Any = None,
    ) -> tuple[str, int, dict[str, str]]:
        self.sent.append(SentRequest(method, url, dict(headers or {}), post_data))
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        name, status = reply
        body = (FIXTURES / name).read_text()
        return body, status, {"Request-Id": "req_fixture", "Content-Type": "application/json"}

    def close(self) -> None:
        return None


def _timeout() -> stripe.APIConnectionError:
    return stripe.APIConnectionError("Request timed out", should_retry=True)


def _gateway(client: FixtureClient, **kwargs: Any) -> StripeGateway:
    options: dict[str, Any] = {"api_key": SECRET, "max_network_retries": 0}
    options.update(kwargs)
    return StripeGateway(http_client=client, **options)


def _charge(gateway: StripeGateway, *, key: str = "deposit:7:abc", cents: int = 2500):
    return gateway.charge(
        amount=Money(cents),
        payment_method=PM,
        idempotency_key=key,
        description="Openlance balance top-up for user 7",
    )


@pytest.fixture
def no_retry_sleep(monkeypatch):
    monkeypatch.setattr(stripe.HTTPClient, "_sleep_time_seconds", lambda self, n: 0)


# Charges


def test_charge_sends_a_confirmed_card_payment_intent_with_our_idempotency_key():
    client = FixtureClient(("payment_intent_succeeded.json", 200))
    _charge(_gateway(client))

    [sent] = client.sent
    assert sent.method == "post"
    assert sent.url == "https://api.stripe.com/v1/payment_intents"
    assert sent.headers["Authorization"] == f"Bearer {SECRET}"
    assert sent.headers["Idempotency-Key"] == "deposit:7:abc"
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert sent.params == {
        "amount": "2500",
        "currency": "usd",
        "payment_method": PM,
        "allowed_payment_method_types[0]": "card",
        "confirm": "true",
        "error_on_requires_action": "true",
        "description": "Openlance balance top-up for user 7",
        "metadata[openlance_key]": "deposit:7:abc",
    }


def test_succeeded_intent_is_a_succeeded_charge():
    result = _charge(_gateway(FixtureClient(("payment_intent_succeeded.json", 200))))
    assert result.status == ChargeStatus.SUCCEEDED
    assert result.succeeded
    assert result.reference == "pi_3QmT8nLkdIwHu7ix0kZ5uF4q"
    assert result.amount == Money(2500)
    assert result.decline_reason == ""


@pytest.mark.parametrize(
    ("fixture", "reason"),
    [
        ("error_card_declined.json", "generic_decline"),
        ("error_insufficient_funds.json", "insufficient_funds"),
    ],
)
def test_card_error_is_a_declined_charge_with_the_decline_code(fixture, reason):
    result = _charge(_gateway(FixtureClient((fixture, 402))))
    assert result.status == ChargeStatus.DECLINED
    assert not result.succeeded
    assert result.decline_reason == reason
    assert result.reference == "pi_3QmT8nLkdIwHu7ix0kZ5uF4q"
    assert result.amount == Money(2500)


def test_intent_asking_for_3d_secure_counts_as_declined():
    result = _charge(_gateway(FixtureClient(("payment_intent_requires_action.json", 200))))
    assert result.status == ChargeStatus.DECLINED
    assert result.decline_reason == "authentication_required"


def test_intent_still_processing_is_an_error_not_a_guess():
    with pytest.raises(PaymentGatewayUnavailable, match="processing"):
        _charge(_gateway(FixtureClient(("payment_intent_processing.json", 200))))


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (("error_api_error.json", 500), PaymentGatewayUnavailable),
        (("error_authentication.json", 401), PaymentGatewayUnavailable),
        (("error_idempotency.json", 400), IdempotencyConflict),
        (("error_payment_method_missing.json", 400), InvalidInput),
    ],
)
def test_api_errors_become_domain_errors(reply, error):
    with pytest.raises(error) as raised:
        _charge(_gateway(FixtureClient(reply)))
    if error is InvalidInput:
        assert raised.value.field_errors == {
            "payment_method": ["Not found at Stripe; add it again."]
        }
    if error is PaymentGatewayUnavailable:
        assert raised.value.status == 502
        assert SECRET not in raised.value.detail


def test_timeout_is_retried_with_the_same_idempotency_key(no_retry_sleep):
    client = FixtureClient(_timeout(), ("payment_intent_succeeded.json", 200))
    result = _charge(_gateway(client, max_network_retries=1))
    assert result.succeeded
    assert [sent.headers["Idempotency-Key"] for sent in client.sent] == ["deposit:7:abc"] * 2
    assert client.sent[0].params == client.sent[1].params


def test_timeout_after_the_retries_is_a_gateway_error(no_retry_sleep):
    client = FixtureClient(_timeout(), _timeout(), _timeout())
    with pytest.raises(PaymentGatewayUnavailable):
        _charge(_gateway(client, max_network_retries=2))
    assert len(client.sent) == 3


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"payment_method": "pm_card_visa", "amount": Money(0)}, None),
        ({"payment_method": "pm_card_visa", "amount": Money(100, "EUR")}, None),
        ({"payment_method": "4242424242424242", "amount": Money(100)}, "payment_method"),
    ],
)
def test_bad_charge_input_is_refused_before_calling_stripe(kwargs, field):
    client = FixtureClient()
    with pytest.raises(InvalidInput) as raised:
        _gateway(client).charge(idempotency_key="k", description="d", **kwargs)
    assert client.sent == []
    if field:
        assert field in raised.value.field_errors


# Payouts


def test_payout_sends_a_connect_transfer_and_is_in_transit():
    client = FixtureClient(("transfer_created.json", 200))
    result = _gateway(client).payout(
        amount=Money(12_000), destination=ACCOUNT, idempotency_key="withdrawal:42"
    )

    [sent] = client.sent
    assert sent.method == "post"
    assert sent.path == "/v1/transfers"
    assert sent.headers["Authorization"] == f"Bearer {SECRET}"
    assert sent.headers["Idempotency-Key"] == "withdrawal:42"
    assert sent.params == {
        "amount": "12000",
        "currency": "usd",
        "destination": ACCOUNT,
        "description": "Openlance withdrawal",
        "metadata[openlance_key]": "withdrawal:42",
    }
    assert result.reference == TRANSFER
    assert result.status == PayoutStatus.IN_TRANSIT
    assert result.amount == Money(12_000)


def test_payout_status_retrieves_the_transfer_and_a_standing_one_is_paid():
    client = FixtureClient(("transfer_created.json", 200))
    result = _gateway(client).payout_status(reference=TRANSFER)
    [sent] = client.sent
    assert sent.method == "get"
    assert sent.path == f"/v1/transfers/{TRANSFER}"
    assert sent.body is None
    assert "Idempotency-Key" not in sent.headers
    assert result.status == PayoutStatus.PAID
    assert result.return_reason == ""


@pytest.mark.parametrize(
    ("fixture", "reason"),
    [
        ("transfer_reversed.json", "account_closed"),
        ("transfer_reversed_without_reason.json", "transfer_reversed"),
    ],
)
def test_reversed_transfer_is_a_returned_payout(fixture, reason):
    result = _gateway(FixtureClient((fixture, 200))).payout_status(reference=TRANSFER)
    assert result.status == PayoutStatus.RETURNED
    assert result.return_reason == reason
    assert result.amount == Money(12_000)


def test_partly_reversed_transfer_needs_an_operator():
    with pytest.raises(PaymentGatewayUnavailable, match="partly reversed"):
        _gateway(FixtureClient(("transfer_partially_reversed.json", 200))).payout_status(
            reference=TRANSFER
        )


def test_unknown_transfer_is_not_found():
    client = FixtureClient(("error_transfer_missing.json", 404))
    with pytest.raises(NotFound):
        _gateway(client).payout_status(reference="tr_missing")
    with pytest.raises(NotFound):
        _gateway(client).payout_status(reference="sbx_po_123")
    assert len(client.sent) == 1


def test_platform_balance_too_low_for_a_payout_is_a_gateway_error():
    with pytest.raises(PaymentGatewayUnavailable, match="balance_insufficient"):
        _gateway(FixtureClient(("error_balance_insufficient.json", 400))).payout(
            amount=Money(12_000), destination=ACCOUNT, idempotency_key="withdrawal:42"
        )


def test_payout_to_a_bank_token_is_refused_before_calling_stripe():
    client = FixtureClient()
    with pytest.raises(InvalidInput) as raised:
        _gateway(client).payout(
            amount=Money(12_000), destination="ba_returns", idempotency_key="withdrawal:42"
        )
    assert "destination" in raised.value.field_errors
    assert client.sent == []


# Configuration and the services that use the port


def test_payment_gateway_selects_stripe_by_settings(settings, monkeypatch):
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = SECRET
    settings.STRIPE_API_BASE = "http://127.0.0.1:12111"
    client = FixtureClient(("transfer_created.json", 200))
    monkeypatch.setattr(stripe_gateway, "_http_client", lambda: client)

    gateway = payment_gateway()
    assert gateway.name == "stripe"
    gateway.payout_status(reference=TRANSFER)
    assert client.sent[0].url == f"http://127.0.0.1:12111/v1/transfers/{TRANSFER}"


def test_stripe_without_a_secret_key_is_a_configuration_error(settings):
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = ""
    with pytest.raises(ImproperlyConfigured, match="STRIPE_SECRET_KEY"):
        payment_gateway()


@pytest.fixture
def stripe_configured(settings, monkeypatch):
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = SECRET
    settings.STRIPE_API_BASE = ""

    def install(*replies: tuple[str, int] | Exception) -> FixtureClient:
        client = FixtureClient(*replies)
        monkeypatch.setattr(stripe_gateway, "_http_client", lambda: client)
        monkeypatch.setattr(stripe_gateway, "MAX_NETWORK_RETRIES", 0)
        return client

    return install


def test_deposit_through_stripe_books_the_payment_intent(stripe_configured):
    stripe_configured(("payment_intent_succeeded.json", 200))
    client = client_user()
    transfer = funds_deposit(user=client, amount=Money(2500), payment_method=PM, key="a")
    assert transfer.metadata["charge"] == "pi_3QmT8nLkdIwHu7ix0kZ5uF4q"
    assert account_for(kind=AccountKind.CLIENT_FUNDING, owner=client).balance_cents == 2500


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (("error_insufficient_funds.json", 402), PaymentDeclined),
        (("error_api_error.json", 500), PaymentGatewayUnavailable),
        (_timeout(), PaymentGatewayUnavailable),
    ],
)
def test_failed_stripe_charge_leaves_no_partial_state(stripe_configured, reply, error):
    stripe_configured(reply)
    client = client_user()
    before = Transfer.objects.count()
    with pytest.raises(error):
        funds_deposit(user=client, amount=Money(2500), payment_method=PM, key="a")
    assert Transfer.objects.count() == before
    assert account_for(kind=AccountKind.CLIENT_FUNDING, owner=client).balance_cents == 0


@pytest.mark.parametrize(
    ("reply", "status", "code"),
    [
        (("payment_intent_succeeded.json", 200), 201, None),
        (("error_card_declined.json", 402), 402, "payment_declined"),
        (("error_api_error.json", 500), 502, "payment_gateway_unavailable"),
        (("error_payment_method_missing.json", 400), 422, "invalid_input"),
    ],
)
def test_api_deposit_through_stripe_answers_with_problem_details(
    stripe_configured, reply, status, code
):
    stripe_configured(reply)
    client = client_user()
    token = token_create(user=client, name="tests")[1]
    response = Client().post(
        "/api/v1/wallet/deposits",
        json.dumps({"amount": {"amount": "25.00", "currency": "USD"}, "payment_method": PM}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == status, response.content
    if code:
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == code
        assert not Transfer.objects.filter(kind="deposit").exists()


# Saved cards


def test_saving_a_card_attaches_it_to_a_new_customer_and_reads_what_to_show():
    client = FixtureClient(("customer_created.json", 200), ("payment_method_card.json", 200))
    details = _gateway(client).card_save(payment_method=PM, owner="user:7")

    created, read = client.sent
    assert (created.method, created.path) == ("post", "/v1/customers")
    assert created.params == {"payment_method": PM, "metadata[openlance_owner]": "user:7"}
    assert created.headers["Idempotency-Key"] == f"card-save:user:7:{PM}"
    assert (read.method, read.path) == ("get", f"/v1/payment_methods/{PM}")
    assert details.payment_method == f"cus_RfT3aPq8LmZx2K/{PM}"
    assert (details.brand, details.last4, details.exp_month, details.exp_year) == (
        "Mastercard",
        "4444",
        8,
        2029,
    )


def test_a_saved_card_is_charged_with_its_customer():
    client = FixtureClient(("payment_intent_succeeded.json", 200))
    result = _gateway(client).charge(
        amount=Money(2500),
        payment_method=f"cus_RfT3aPq8LmZx2K/{PM}",
        idempotency_key="deposit:7:def",
        description="Openlance balance top-up for user 7",
    )
    assert result.succeeded
    [sent] = client.sent
    assert sent.params["customer"] == "cus_RfT3aPq8LmZx2K"
    assert sent.params["payment_method"] == PM


@pytest.mark.parametrize("reference", ["4242424242424242", "cus_x/4242", "acct_1/pm_1"])
def test_anything_but_a_card_token_is_refused_before_calling_stripe(reference):
    client = FixtureClient()
    with pytest.raises(InvalidInput):
        _gateway(client).charge(
            amount=Money(100), payment_method=reference, idempotency_key="k", description="d"
        )
    with pytest.raises(InvalidInput):
        _gateway(client).card_save(payment_method=reference, owner="user:1")
    assert client.sent == []


def test_a_card_stripe_refuses_to_save_is_a_clear_refusal():
    client = FixtureClient(("error_card_declined.json", 402))
    with pytest.raises(InvalidInput, match="refused the card"):
        _gateway(client).card_save(payment_method=PM, owner="user:7")


# Payout destinations


def test_a_connected_account_that_can_receive_payouts_is_the_destination():
    client = FixtureClient(("account_payouts_enabled.json", 200))
    destination = _gateway(client).payout_destination_create(
        kind="ach", details={"stripe_account": ACCOUNT}, owner="user:7"
    )
    assert (destination.destination, destination.last4) == (ACCOUNT, ACCOUNT[-4:])
    [sent] = client.sent
    assert (sent.method, sent.path) == ("get", f"/v1/accounts/{ACCOUNT}")


def test_an_account_still_being_set_up_or_not_an_account_is_refused():
    client = FixtureClient(("account_payouts_disabled.json", 200))
    with pytest.raises(InvalidInput, match="cannot receive payouts yet"):
        _gateway(client).payout_destination_create(
            kind="ach", details={"stripe_account": ACCOUNT}, owner="user:7"
        )
    with pytest.raises(InvalidInput) as refused:
        _gateway(client).payout_destination_create(
            kind="ach", details={"stripe_account": "000123456789"}, owner="user:7"
        )
    assert "stripe_account" in refused.value.field_errors
    assert len(client.sent) == 1
