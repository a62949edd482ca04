"""The Stripe adapter of the payment gateway port (SPEC §8.4), chosen with PAYMENT_GATEWAY=stripe.

Charges are PaymentIntents created and confirmed in one call with a PaymentMethod id (`pm_…`)
that Stripe's own browser library made from the card; payouts are Connect transfers to the
freelancer's connected account (`acct_…`), from which Stripe pays their bank on the account's
own schedule. Card numbers and bank details therefore only ever live at Stripe.

Our idempotency key goes out as Stripe's Idempotency-Key header, so a retried call (ours or
the library's own network retry) replays Stripe's first answer instead of charging twice.
Anything other than a clear answer — an outage, a timeout, a rejected key — raises a domain
error before the caller books anything.
"""

from __future__ import annotations

import logging
from typing import Any

import stripe
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from openlance.billing.gateway import (
    SAVED_CARD_SEPARATOR,
    CardDetails,
    ChargeResult,
    ChargeStatus,
    PaymentGatewayUnavailable,
    PayoutDestination,
    PayoutResult,
    PayoutStatus,
)
from openlance.core.errors import DomainError, IdempotencyConflict, InvalidInput, NotFound
from openlance.core.money import Money

logger = logging.getLogger(__name__)

CURRENCY = "USD"
# Long enough for a slow card network, short enough that a web request does not hang.
REQUEST_TIMEOUT_SECONDS = 30
# Safe because every call carries an idempotency key: a retry replays, it never repeats.
MAX_NETWORK_RETRIES = 2
UNKNOWN_REVERSAL_REASON = "transfer_reversed"


def _http_client() -> stripe.HTTPClient:
    return stripe.RequestsClient(timeout=REQUEST_TIMEOUT_SECONDS)


class StripeGateway:
    name = "stripe"

    def __init__(
        self,
        *,
        api_key: str | None = None,
        api_base: str | None = None,
        http_client: stripe.HTTPClient | None = None,
        max_network_retries: int | None = None,
    ) -> None:
        key = settings.STRIPE_SECRET_KEY if api_key is None else api_key
        if not key:
            raise ImproperlyConfigured("PAYMENT_GATEWAY=stripe needs STRIPE_SECRET_KEY.")
        base = settings.STRIPE_API_BASE if api_base is None else api_base
        self._client = stripe.StripeClient(
            key,
            base_addresses={"api": base} if base else None,
            http_client=http_client or _http_client(),
            max_network_retries=MAX_NETWORK_RETRIES
            if max_network_retries is None
            else max_network_retries,
        )

    def charge(
        self, *, amount: Money, payment_method: str, idempotency_key: str, description: str
    ) -> ChargeResult:
        _check_amount(amount, "charge")
        customer, _, card = payment_method.rpartition(SAVED_CARD_SEPARATOR)
        if not card.startswith("pm_") or (customer and not customer.startswith("cus_")):
            raise InvalidInput(
                "Stripe charges need a card saved through Stripe (a pm_… id).",
                field_errors={"payment_method": ["Enter the card again."]},
            )
        params: stripe.params.PaymentIntentCreateParams = {
            "amount": amount.cents,
            "currency": CURRENCY.lower(),
            "payment_method": card,
            # Cards settle at once; methods that stay "processing" for days would leave a
            # charge we can neither book nor call declined.
            "allowed_payment_method_types": ["card"],
            "confirm": True,
            # There is no 3-D Secure step here: such a card fails now instead of leaving an
            # intent waiting for a customer who never comes back.
            "error_on_requires_action": True,
            "description": description,
            "metadata": {"openlance_key": idempotency_key},
        }
        if customer:
            # A saved card belongs to its Stripe customer; Stripe charges it only with them.
            params["customer"] = customer
        try:
            intent = self._client.v1.payment_intents.create(
                params=params,
                options={"idempotency_key": idempotency_key},
            )
        except stripe.CardError as error:
            return _declined_by_error(error, amount)
        except stripe.StripeError as error:
            raise _domain_error(error, what="charge", field="payment_method") from error
        return _charge_result(intent.to_dict())

    def card_save(self, *, payment_method: str, owner: str) -> CardDetails:
        """Stripe charges a card more than once only when it is attached to a customer: each
        saved card gets one, and its reference is "cus_…/pm_…"."""
        if not payment_method.startswith("pm_"):
            raise InvalidInput(
                "Stripe cards come from Stripe's card form (a pm_… id).",
                field_errors={"payment_method": ["Enter the card again."]},
            )
        try:
            customer = self._client.v1.customers.create(
                params={"payment_method": payment_method, "metadata": {"openlance_owner": owner}},
                options={"idempotency_key": f"card-save:{owner}:{payment_method}"},
            )
            method = self._client.v1.payment_methods.retrieve(payment_method)
        except stripe.CardError as error:
            raise InvalidInput(
                f"Stripe refused the card ({error.code or 'card_declined'}).",
                field_errors={"payment_method": ["Try another card."]},
            ) from error
        except stripe.StripeError as error:
            raise _domain_error(error, what="card", field="payment_method") from error
        card = method.to_dict().get("card") or {}
        return CardDetails(
            payment_method=f"{customer.id}{SAVED_CARD_SEPARATOR}{payment_method}",
            brand=str(card.get("brand", "card")).title(),
            last4=str(card.get("last4", "")),
            exp_month=int(card.get("exp_month", 0)),
            exp_year=int(card.get("exp_year", 0)),
        )

    def payout_destination_create(
        self, *, kind: str, details: dict[str, str], owner: str
    ) -> PayoutDestination:
        """With Stripe a freelancer's bank details live in their connected Stripe account (its
        onboarding takes them); Openlance keeps the account's id, once Stripe says it can
        receive payouts."""
        account_id = details.get("stripe_account", "")
        if not account_id.startswith("acct_"):
            raise InvalidInput(
                "Stripe payouts go to a connected Stripe account (an acct_… id).",
                field_errors={"stripe_account": ["Enter your Stripe account's id, acct_…"]},
            )
        try:
            account = self._client.v1.accounts.retrieve(account_id).to_dict()
        except stripe.StripeError as error:
            raise _domain_error(error, what="account", field="stripe_account") from error
        if not account.get("payouts_enabled"):
            raise InvalidInput(
                "This Stripe account cannot receive payouts yet; finish its setup at Stripe.",
                field_errors={"stripe_account": ["Payouts are not enabled on it."]},
            )
        return PayoutDestination(destination=account_id, last4=account_id[-4:], label="")

    def payout(self, *, amount: Money, destination: str, idempotency_key: str) -> PayoutResult:
        _check_amount(amount, "payout")
        if not destination.startswith("acct_"):
            raise InvalidInput(
                "Stripe payouts go to a connected Stripe account (an acct_… id).",
                field_errors={"destination": ["Connect your Stripe account again."]},
            )
        try:
            transfer = self._client.v1.transfers.create(
                params={
                    "amount": amount.cents,
                    "currency": CURRENCY.lower(),
                    "destination": destination,
                    "description": "Openlance withdrawal",
                    "metadata": {"openlance_key": idempotency_key},
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            raise _domain_error(error, what="payout", field="destination") from error
        return _payout_result(transfer.to_dict(), just_created=True)

    def payout_status(self, *, reference: str) -> PayoutResult:
        if not reference.startswith("tr_"):
            raise NotFound(f"No Stripe transfer {reference}.")
        try:
            transfer = self._client.v1.transfers.retrieve(reference)
        except stripe.InvalidRequestError as error:
            if error.code == "resource_missing":
                raise NotFound(f"No Stripe transfer {reference}.") from error
            raise _domain_error(error, what="payout status", field="") from error
        except stripe.StripeError as error:
            raise _domain_error(error, what="payout status", field="") from error
        return _payout_result(transfer.to_dict(), just_created=False)


def _check_amount(amount: Money, what: str) -> None:
    if amount.currency != CURRENCY:
        raise InvalidInput(f"Only {CURRENCY} is supported.")
    if amount.cents <= 0:
        raise InvalidInput(f"A {what} must be positive.")


def _money(obj: dict[str, Any]) -> Money:
    return Money(int(obj["amount"]), str(obj["currency"]).upper())


def _charge_result(intent: dict[str, Any]) -> ChargeResult:
    status = intent.get("status")
    if status == "succeeded":
        return ChargeResult(
            reference=intent["id"], status=ChargeStatus.SUCCEEDED, amount=_money(intent)
        )
    if status in ("requires_payment_method", "requires_action", "canceled"):
        # error_on_requires_action should make Stripe refuse such cards outright; should an
        # intent still wait for authentication, nothing was taken and it counts as declined.
        error = intent.get("last_payment_error") or {}
        reason = error.get("decline_code") or error.get("code") or _STATUS_REASONS[status]
        return ChargeResult(
            reference=intent["id"],
            status=ChargeStatus.DECLINED,
            amount=_money(intent),
            decline_reason=reason,
        )
    logger.error("Stripe PaymentIntent %s came back %s", intent.get("id"), status)
    raise PaymentGatewayUnavailable(
        f"The card payment is {status} at Stripe; an operator has to settle it. "
        "Nothing was booked here."
    )


_STATUS_REASONS = {
    "requires_payment_method": "card_declined",
    "requires_action": "authentication_required",
    "canceled": "canceled",
}


def _declined_by_error(error: stripe.CardError, amount: Money) -> ChargeResult:
    body = error.json_body if isinstance(error.json_body, dict) else {}
    details = body.get("error") or {}
    intent = details.get("payment_intent") or {}
    return ChargeResult(
        reference=intent.get("id") or details.get("charge") or "",
        status=ChargeStatus.DECLINED,
        amount=_money(intent) if intent.get("amount") else amount,
        decline_reason=details.get("decline_code") or error.code or "card_declined",
    )


def _payout_result(transfer: dict[str, Any], *, just_created: bool) -> PayoutResult:
    amount = _money(transfer)
    if transfer.get("reversed"):
        reversals = (transfer.get("reversals") or {}).get("data") or []
        # Stripe lists the newest reversal first; operators put the bank's reason in metadata.
        reason = ((reversals[0].get("metadata") or {}).get("reason")) if reversals else None
        return PayoutResult(
            reference=transfer["id"],
            status=PayoutStatus.RETURNED,
            amount=amount,
            return_reason=reason or UNKNOWN_REVERSAL_REASON,
        )
    if transfer.get("amount_reversed"):
        # The ledger reverses a withdrawal whole or not at all; a partial reversal is a
        # decision for the finance team, never something to guess here.
        logger.error("Stripe transfer %s is partly reversed", transfer["id"])
        raise PaymentGatewayUnavailable(
            f"Stripe transfer {transfer['id']} was partly reversed; an operator has to settle it."
        )
    # A standing Connect transfer has reached the freelancer's Stripe account: it is in transit
    # while we book it and paid from the first status check on.
    return PayoutResult(
        reference=transfer["id"],
        status=PayoutStatus.IN_TRANSIT if just_created else PayoutStatus.PAID,
        amount=amount,
    )


def _domain_error(error: stripe.StripeError, *, what: str, field: str) -> DomainError:
    logger.warning(
        "Stripe %s failed: %s (status %s, code %s, request %s)",
        what,
        type(error).__name__,
        error.http_status,
        error.code,
        error.request_id,
    )
    if isinstance(error, stripe.IdempotencyError):
        return IdempotencyConflict(f"Stripe saw this {what} before with different details.")
    if (
        isinstance(error, stripe.InvalidRequestError)
        and field
        and error.param == field
        and error.code == "resource_missing"
    ):
        return InvalidInput(
            f"Stripe does not know this {field.replace('_', ' ')}.",
            field_errors={field: ["Not found at Stripe; add it again."]},
        )
    return PaymentGatewayUnavailable(
        f"Stripe could not complete the {what} right now ({error.code or type(error).__name__}). "
        "Nothing was booked; try again in a few minutes."
    )
