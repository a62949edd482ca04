from __future__ import annotations

from typing import Any

from django.db import transaction

from openlance.accounts.models import User
from openlance.billing.gateway import ChargeResult, idempotency_key_digest, payment_gateway
from openlance.core.errors import InvalidInput, PaymentDeclined
from openlance.core.money import Money
from openlance.core.services import event_emit
from openlance.ledger.models import AccountKind, Transfer
from openlance.ledger.services import account_for, platform_account, transfer_post

# The kind of transfer that books a successful card charge into a client's funding balance,
# whether the client added funds or funded a milestone by card.
CARD_DEPOSIT = "deposit"
DEPOSIT_MINIMUM = Money(500)
DEPOSIT_MAXIMUM = Money(5_000_000)


def require_freelancer(user: User) -> None:
    if not user.is_freelancer:
        raise InvalidInput("This is for freelancers; switch on the freelancer role first.")


def funds_deposit(*, user: User, amount: Money, payment_method: str, key: str) -> Transfer:
    """A client adds money to their balance with a card, through the gateway.

    The gateway call and the booking share `key`: a retry after a crash between the two finds
    the first charge and books it once. A declined card books nothing.
    """
    if not user.is_client:
        raise InvalidInput("Only clients add funds; switch on the client role first.")
    if amount.currency != "USD":
        raise InvalidInput("Only USD is supported.", field_errors={"amount": ["Use USD."]})
    if not DEPOSIT_MINIMUM <= amount <= DEPOSIT_MAXIMUM:
        raise InvalidInput(
            f"Deposits run from {DEPOSIT_MINIMUM} to {DEPOSIT_MAXIMUM}.",
            field_errors={"amount": [f"Between {DEPOSIT_MINIMUM} and {DEPOSIT_MAXIMUM}."]},
        )
    if not payment_method.strip():
        raise InvalidInput(
            "Choose a payment method.", field_errors={"payment_method": ["Required."]}
        )
    gateway = payment_gateway()
    charge = gateway.charge(
        amount=amount,
        payment_method=payment_method,
        idempotency_key=f"deposit:{user.pk}:{idempotency_key_digest(key)}",
        description=f"Openlance balance top-up for user {user.pk}",
    )
    if not charge.succeeded:
        raise PaymentDeclined(
            f"The card was declined ({charge.decline_reason}). Nothing was charged."
        )
    if charge.amount != amount:
        raise InvalidInput("This idempotency key was already used for another amount.")
    return card_deposit_book(
        user=user, charge=charge, description=f"Added funds by card ({payment_method})"
    )


def card_deposit_book(
    *,
    user: User,
    charge: ChargeResult,
    description: str,
    metadata: dict[str, Any] | None = None,
) -> Transfer:
    """Book a successful card charge into the client's funding balance, once per charge,
    and say so with `payment_method.charged` (a charged card verifies the client's payment
    method, SPEC §2.3)."""
    key = f"charge:{charge.reference}"
    booked = Transfer.objects.filter(idempotency_key=key).first()
    if booked is not None:
        return booked
    with transaction.atomic():
        transfer = transfer_post(
            key=key,
            kind=CARD_DEPOSIT,
            description=description,
            legs=[
                (
                    platform_account(AccountKind.GATEWAY_CLEARING, spread=user.pk),
                    -charge.amount.cents,
                ),
                (account_for(kind=AccountKind.CLIENT_FUNDING, owner=user), charge.amount.cents),
            ],
            metadata={
                "charge": charge.reference,
                "gateway": payment_gateway().name,
                **(metadata or {}),
            },
            client=user,
        )
        event_emit(
            kind="payment_method.charged", payload={"user_id": user.pk, "transfer_id": transfer.pk}
        )
    return transfer
