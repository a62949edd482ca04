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

from openlance.billing.models import SandboxOperation
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


# The sandbox's test instruments, named like the big providers' test cards.
SANDBOX_CARDS = {
    "pm_card_visa": "",
    "pm_card_mastercard": "",
    "pm_card_declined": "card_declined",
    "pm_card_insufficient_funds": "insufficient_funds",
    "pm_card_expired": "expired_card",
}
SANDBOX_RETURNING_DESTINATION = "ba_returns"


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
        reason = SANDBOX_CARDS.get(payment_method, "unknown_payment_method")
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
