"""What bonuses and expenses share: the client's fee on top, and paying by card, which puts
the total on the client's balance through the gateway and makes the payment from there in
the booking's own transaction (`charge_card_to_balance`), so the payment itself is always a
move from the balance and no other payment of the client's can spend the card's money first."""

from __future__ import annotations

from collections.abc import Callable

from openlance.accounts.models import User
from openlance.billing.fees import client_fees
from openlance.billing.models import CardChargePurpose, CardChargeState
from openlance.billing.services import (
    CardChargeConflict,
    SpendOnBooking,
    card_declined,
    card_pay_once,
)
from openlance.contracts.models import Contract
from openlance.contracts.pricing import contract_fee_policy
from openlance.core.errors import IdempotencyConflict, InsufficientFunds
from openlance.core.money import Money
from openlance.ledger.models import LedgerAccount


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
    with it in the booking's transaction (`card_pay_once`: `around_booking` locks the
    payment's rows on entry and pays on the way out, so no other payment of the client's
    can spend the card's money in between). A declined card raises, and asking again with
    it is a new attempt. The caller's payment from the balance follows: it finds the subject
    paid, or takes the money a booking left on the balance and raises why the payment could
    not be made."""
    try:
        charge = card_pay_once(
            user=client,
            subject=subject,
            card=card,
            total=total,
            purpose=CardChargePurpose.DEPOSIT,
            around_booking=around_booking,
            paid=paid,
            retry_declined=True,
            description=f"Openlance: {what}",
            ledger_description=f"Card payment of {what}",
            ledger_metadata={"contract_id": contract.pk, "subject": subject},
        )
    except CardChargeConflict as conflict:
        raise IdempotencyConflict(
            "This request was already paid with another card or amount."
        ) from conflict
    if charge is not None and charge.state == CardChargeState.DECLINED:
        raise card_declined(charge, field_errors={"payment_method": ["Declined."]})
