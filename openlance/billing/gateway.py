"""The payment gateway port (SPEC §8.4) and its built-in sandbox adapter.

Card and bank data never reach the platform: callers pass the provider's opaque tokens
(a payment method id, a payout destination id). Every call carries an idempotency key,
and the same key always gets the same result.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from openlance.billing.models import SandboxCard, SandboxOperation
from openlance.core import clock
from openlance.core.errors import DomainError, InvalidInput, NotFound
from openlance.core.money import Money


class ChargeStatus(StrEnum):
    SUCCEEDED = "succeeded"
    DECLINED = "declined"


class PayoutStatus(StrEnum):
    IN_TRANSIT = "in_transit"
    PAID = "paid"
    RETURNED = "returned"


@dataclass(frozen=True)
class ChargeResult:
    reference: str
    status: ChargeStatus
    amount: Money
    decline_reason: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status == ChargeStatus.SUCCEEDED


@dataclass(frozen=True)
class PayoutResult:
    reference: str
    status: PayoutStatus
    amount: Money
    return_reason: str = ""


def idempotency_key_digest(key: str) -> str:
    """A fixed-length stand-in for a caller's key (which may be long or odd) inside the keys
    we send the gateway and book under."""
    return hashlib.sha256(key.encode()).hexdigest()[:40]


# A card a provider keeps for one of its customers is referred to as "customer/card". The
# provider charges it for anyone who names both, so Openlance charges it only for the user
# who saved it (`billing.cards.card_reference_check`).
SAVED_CARD_SEPARATOR = "/"


@dataclass(frozen=True)
class CardDetails:
    """A card the provider keeps, as the platform may know it: the reference to charge it
    by and what a person recognises it by. Never a number."""

    payment_method: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True)
class PayoutDestination:
    """Where payouts go, as the provider keeps it: the token to pay out to, and how its owner
    recognises it without the number (the last four digits, or a masked address)."""

    destination: str
    last4: str
    label: str


class PaymentGatewayUnavailable(DomainError):
    """The provider gave no usable answer (outage, timeout, bad credentials): the outcome is
    unknown, so callers book nothing and keep their own record open to retry with the same
    idempotency key. It is never a refusal: a payout that meets it must stay pending."""

    status = 502
    title = "Payment provider unavailable"
    code = "payment_gateway_unavailable"


class PaymentGateway(Protocol):
    name: str

    def charge(
        self, *, amount: Money, payment_method: str, idempotency_key: str, description: str
    ) -> ChargeResult: ...

    def payout(self, *, amount: Money, destination: str, idempotency_key: str) -> PayoutResult: ...

    def payout_status(self, *, reference: str) -> PayoutResult: ...

    def card_save(self, *, payment_method: str, owner: str) -> CardDetails:
        """Keep a card tokenized in the browser for later charges, and describe it."""
        ...

    def payout_destination_create(
        self, *, kind: str, details: dict[str, str], owner: str
    ) -> PayoutDestination:
        """Hand the account details a freelancer typed to the provider, which keeps them and
        answers with a payout destination token. `details` were checked by the form."""
        ...


@dataclass(frozen=True)
class SandboxTestCard:
    number: str
    brand: str
    token: str
    decline_reason: str  # empty: charges succeed

    @property
    def outcome(self) -> str:
        return "succeeds" if not self.decline_reason else self.decline_reason.replace("_", " ")


# The sandbox's test cards, numbered and named like the big providers' test cards: the
# card form takes the numbers, the API the tokens.
SANDBOX_TEST_CARDS = (
    SandboxTestCard("4242424242424242", "Visa", "pm_card_visa", ""),
    SandboxTestCard("5555555555554444", "Mastercard", "pm_card_mastercard", ""),
    SandboxTestCard("4000000000000002", "Visa", "pm_card_declined", "card_declined"),
    SandboxTestCard("4000000000009995", "Visa", "pm_card_insufficient_funds", "insufficient_funds"),
    SandboxTestCard("4000000000000069", "Visa", "pm_card_expired", "expired_card"),
)
SANDBOX_CARDS = {card.token: card.decline_reason for card in SANDBOX_TEST_CARDS}
# The sandbox's named test tokens stand for cards valid this long (Stripe's do the same).
SANDBOX_TOKEN_VALID_YEARS = 3
SANDBOX_RETURNING_DESTINATION = "ba_returns"
# The sandbox's bank account that closes: payouts to it come back (Stripe's test number).
SANDBOX_RETURNING_ACCOUNT = "000111111116"
SANDBOX_RETURNING_PAYPAL = "returns@paypal.example"


class SandboxGateway:
    """Simulated cards and bank payouts. `pm_card_visa` succeeds, `pm_card_declined` and
    friends decline; payouts to `ba_returns` come back as returned, any other destination is
    in transit until `sandbox_payout_settle` or `sandbox_payout_return` says otherwise."""

    name = "sandbox"

    def _record(
        self, *, kind: str, key: str, amount: Money, instrument: str, status: str, reason: str
    ) -> SandboxOperation:
        existing = SandboxOperation.objects.filter(kind=kind, idempotency_key=key).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                return SandboxOperation.objects.create(
                    kind=kind,
                    idempotency_key=key,
                    reference=f"sbx_{kind[:2]}_{secrets.token_hex(10)}",
                    amount_cents=amount.cents,
                    currency=amount.currency,
                    instrument=instrument,
                    status=status,
                    reason=reason,
                    created_at=clock.now(),
                )
        except IntegrityError:
            return SandboxOperation.objects.get(kind=kind, idempotency_key=key)

    def charge(
        self, *, amount: Money, payment_method: str, idempotency_key: str, description: str
    ) -> ChargeResult:
        if amount.cents <= 0:
            raise InvalidInput("A charge must be positive.")
        reason = _sandbox_decline_reason(payment_method)
        operation = self._record(
            kind=SandboxOperation.Kind.CHARGE,
            key=idempotency_key,
            amount=amount,
            instrument=payment_method,
            status=SandboxOperation.Status.DECLINED
            if reason
            else SandboxOperation.Status.SUCCEEDED,
            reason=reason,
        )
        return ChargeResult(
            reference=operation.reference,
            status=ChargeStatus(operation.status),
            amount=Money(operation.amount_cents, operation.currency),
            decline_reason=operation.reason,
        )

    def payout(self, *, amount: Money, destination: str, idempotency_key: str) -> PayoutResult:
        if amount.cents <= 0:
            raise InvalidInput("A payout must be positive.")
        returns = destination == SANDBOX_RETURNING_DESTINATION
        operation = self._record(
            kind=SandboxOperation.Kind.PAYOUT,
            key=idempotency_key,
            amount=amount,
            instrument=destination,
            status=SandboxOperation.Status.RETURNED
            if returns
            else SandboxOperation.Status.IN_TRANSIT,
            reason="account_closed" if returns else "",
        )
        return _payout_result(operation)

    def payout_status(self, *, reference: str) -> PayoutResult:
        operation = SandboxOperation.objects.filter(
            kind=SandboxOperation.Kind.PAYOUT, reference=reference
        ).first()
        if operation is None:
            raise NotFound(f"No sandbox payout {reference}.")
        return _payout_result(operation)

    def card_save(self, *, payment_method: str, owner: str) -> CardDetails:
        test_card = next((c for c in SANDBOX_TEST_CARDS if c.token == payment_method), None)
        if test_card is not None:
            return CardDetails(
                payment_method=payment_method,
                brand=test_card.brand,
                last4=test_card.number[-4:],
                exp_month=12,
                exp_year=clock.now().year + SANDBOX_TOKEN_VALID_YEARS,
            )
        card = SandboxCard.objects.filter(token=payment_method).first()
        if card is None:
            raise InvalidInput(
                "The sandbox knows no such card.",
                field_errors={"payment_method": ["Enter the card again."]},
            )
        return CardDetails(
            payment_method=card.token,
            brand=card.brand,
            last4=card.last4,
            exp_month=card.exp_month,
            exp_year=card.exp_year,
        )

    def payout_destination_create(
        self, *, kind: str, details: dict[str, str], owner: str
    ) -> PayoutDestination:
        number = details.get("account_number") or details.get("iban") or ""
        number = number or details.get("card_number", "")
        email = details.get("email", "")
        if number == SANDBOX_RETURNING_ACCOUNT or email == SANDBOX_RETURNING_PAYPAL:
            destination = SANDBOX_RETURNING_DESTINATION
        else:
            # The same account entered twice is one destination, as at a real provider.
            canonical = "|".join(f"{k}={v}" for k, v in sorted(details.items()))
            digest = hashlib.sha256(f"{kind}|{canonical}".encode()).hexdigest()
            destination = f"ba_sbx_{digest[:24]}"
        if email:
            return PayoutDestination(destination=destination, last4="", label=mask_email(email))
        return PayoutDestination(destination=destination, last4=number[-4:], label="")


def mask_email(email: str) -> str:
    """j•••@example.com: enough for its owner to recognise, not enough to write to."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}"


def _sandbox_decline_reason(payment_method: str) -> str:
    if payment_method in SANDBOX_CARDS:
        return SANDBOX_CARDS[payment_method]
    card = SandboxCard.objects.filter(token=payment_method).first()
    if card is None:
        return "unknown_payment_method"
    if card.expired_at(clock.now()):
        return "expired_card"
    return card.decline_reason


def sandbox_card_tokenize(*, number: str, exp_month: int, exp_year: int) -> str:
    """What the provider's browser library does with a card form, for the sandbox: it takes
    only the sandbox's test numbers and answers with a token for the card, which behaves as
    its test number says and expires when the form said."""
    test_card = next((c for c in SANDBOX_TEST_CARDS if c.number == number), None)
    if test_card is None:
        raise InvalidInput(
            "The sandbox takes its test card numbers only.",
            field_errors={"card_number": ["Use one of the sandbox's test cards."]},
        )
    # The same card typed twice is one token, so a form posted twice pays with one card.
    digest = hashlib.sha256(f"{number}|{exp_month:02d}|{exp_year}".encode()).hexdigest()
    card, _ = SandboxCard.objects.get_or_create(
        token=f"pm_sbx_{digest[:24]}",
        defaults={
            "brand": test_card.brand,
            "last4": number[-4:],
            "exp_month": exp_month,
            "exp_year": exp_year,
            "decline_reason": test_card.decline_reason,
            "created_at": clock.now(),
        },
    )
    return card.token


def _payout_result(operation: SandboxOperation) -> PayoutResult:
    return PayoutResult(
        reference=operation.reference,
        status=PayoutStatus(operation.status),
        amount=Money(operation.amount_cents, operation.currency),
        return_reason=operation.reason,
    )


def sandbox_payout_set_status(*, reference: str, returned: bool, reason: str = "") -> PayoutResult:
    """Move an in-transit sandbox payout to paid or returned (tests and the operator console)."""
    operation = SandboxOperation.objects.filter(
        kind=SandboxOperation.Kind.PAYOUT, reference=reference
    ).first()
    if operation is None:
        raise NotFound(f"No sandbox payout {reference}.")
    if operation.status == SandboxOperation.Status.IN_TRANSIT:
        operation.status = (
            SandboxOperation.Status.RETURNED if returned else SandboxOperation.Status.PAID
        )
        operation.reason = (reason or "returned_by_bank") if returned else ""
        operation.save(update_fields=["status", "reason"])
    return _payout_result(operation)


# Dotted paths, so a provider's client library is imported only where it is configured.
_ADAPTERS = {
    "sandbox": "openlance.billing.gateway.SandboxGateway",
    "stripe": "openlance.billing.stripe_gateway.StripeGateway",
}


def payment_gateway() -> PaymentGateway:
    name = settings.PAYMENT_GATEWAY
    if name not in _ADAPTERS:
        raise RuntimeError(
            f"PAYMENT_GATEWAY={name!r} is not available; choose one of {sorted(_ADAPTERS)}."
        )
    gateway: PaymentGateway = import_string(_ADAPTERS[name])()
    return gateway
