"""What bonuses and expenses share: the client's fee on top, and paying by card, which puts
the total on the client's balance through the gateway and makes the payment from there in
the booking's own transaction (`charge_card_to_balance`), so the payment itself is always a
move from the balance and no other payment of the client's can spend the card's money first."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Count, Sum
from django.db.models.functions import Coalesce

from openlance.accounts.models import User
from openlance.billing.fees import client_fees
from openlance.billing.gateway import idempotency_key_digest, payment_gateway
from openlance.billing.models import CardCharge, CardChargePurpose, CardChargeState
from openlance.billing.services import (
    CardChargeConflict,
    SpendOnBooking,
    card_charge,
    card_charges_settle,
    card_declined,
)
from openlance.contracts.models import Contract
from openlance.contracts.pricing import contract_fee_policy
from openlance.core.errors import IdempotencyConflict, InsufficientFunds
from openlance.core.money import Money
from openlance.ledger.models import AccountKind, LedgerAccount
from openlance.ledger.services import account_for


def client_fee_quote(*, contract: Contract, amount: Money) -> tuple[int, int]:
    """(marketplace fee, total) the client pays for `amount` under the contract's policy."""
    fees = client_fees(
        contract_fee_policy(contract), amount_cents=amount.cents, first_payment_of_contract=False
    )
    return fees.marketplace_fee_cents, amount.cents + fees.marketplace_fee_cents


def require_balance(funding: LedgerAccount, total: int, what: str) -> None:
    """A clear refusal before the ledger's own (which stays the guard)."""
    funding.refresh_from_db(fields=["balance_cents"])
    if funding.balance_cents < total:
        short = (
            f"Your balance of {Money(funding.balance_cents)} does not cover {what} and its "
            f"fee, {Money(total)}: add funds or pay by card."
        )
        raise InsufficientFunds(short, field_errors={"payment_method": [short]})


def charge_card_to_balance(
    *,
    client: User,
    contract: Contract,
    subject: str,
    card: str,
    total: int,
    what: str,
    around_booking: SpendOnBooking,
    paid: Callable[[], bool],
) -> None:
    """Put `total` on the client's balance from their card for `subject`, once, and pay
    with it in the booking's transaction: `around_booking` (see `card_charge`) locks the
    payment's rows on entry and pays on the way out, so no other payment of the client's
    can spend the card's money in between. An earlier charge for the subject whose answer
    was lost is settled first, through the same `around_booking` (nothing new is charged
    while one is unsettled, whatever card this request brings); charges already booked for
    it whose money is still on the balance are used instead of charging again, and nothing
    is charged once the subject is `paid` (a settled charge's booking may have paid it). A
    declined card raises. The caller's payment from the balance follows: it finds the
    subject paid, or takes the money a booking left on the balance and raises why the
    payment could not be made."""
    gateway = payment_gateway()
    if CardCharge.objects.filter(subject=subject, state=CardChargeState.SENT).exists():
        card_charges_settle(subject=subject, gateway=gateway, around_booking=around_booking)
    booked = CardCharge.objects.filter(subject=subject, state=CardChargeState.BOOKED).aggregate(
        count=Count("id"), cents=Coalesce(Sum("amount_cents"), 0)
    )
    # Asked after the charges are read: a booking pays in its own transaction, so a charge
    # read as booked (a settled one, or another request's with the same key) has paid the
    # subject by now, unless the payment was refused.
    if paid():
        return
    funding = account_for(kind=AccountKind.CLIENT_FUNDING, owner=client)
    if booked["cents"] >= total and funding.balance_cents >= total:
        return
    try:
        charge = card_charge(
            user=client,
            amount=Money(total),
            payment_method=card,
            key=f"{subject}:card:{idempotency_key_digest(card)}:{total}:{booked['count']}",
            subject=subject,
            purpose=CardChargePurpose.DEPOSIT,
            description=f"Openlance: {what}",
            ledger_description=f"Card payment of {what}",
            ledger_metadata={"contract_id": contract.pk, "subject": subject},
            gateway=gateway,
            around_booking=around_booking,
        )
    except CardChargeConflict as conflict:
        raise IdempotencyConflict(
            "This request was already paid with another card or amount."
        ) from conflict
    if charge.state == CardChargeState.DECLINED:
        raise card_declined(charge, field_errors={"payment_method": ["Declined."]})
