from __future__ import annotations

from openlance.accounts.models import User
from openlance.billing.gateway import idempotency_key_digest, payment_gateway
from openlance.core.errors import InvalidInput, PaymentDeclined
from openlance.core.money import Money
from openlance.ledger.models import AccountKind, Transfer
from openlance.ledger.services import account_for, transfer_post

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
    return transfer_post(
        key=f"charge:{charge.reference}",
        kind="deposit",
        description=f"Added funds by card ({payment_method})",
        legs=[
            (account_for(kind=AccountKind.GATEWAY_CLEARING), -amount.cents),
            (account_for(kind=AccountKind.CLIENT_FUNDING, owner=user), amount.cents),
        ],
        metadata={"charge": charge.reference, "gateway": gateway.name},
    )
