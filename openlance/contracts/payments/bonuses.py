"""Bonuses (SPEC §7.3, §8.2, §8.3): the client pays the freelancer any amount beyond the
contract's terms while it runs, is paused, or up to 365 days after it ended.

The client pays the bonus and the marketplace fee on top, from their balance or by card (a
card is charged through the gateway into the balance, and the bonus is paid from the
balance in the booking's own transaction, so no other payment of the client's spends the
card's money first). The freelancer is paid through `payment_for_work`, the
sliding service fee on the relationship's billings, pending for the security period. A
bonus is not disputable, carries no initiation fee (that goes with the contract's first
funding or invoice), and is paid once per request key.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import partial

from django.db import transaction

from openlance.accounts.models import User
from openlance.billing.cards import BALANCE
from openlance.billing.gateway import idempotency_key_digest
from openlance.billing.models import PaymentKind
from openlance.billing.payments import payment_for_work, relationship_locked
from openlance.billing.services import spend_on_booking
from openlance.contracts.common import lock_contract, require_party
from openlance.contracts.models import (
    MAXIMUM_MILESTONE_CENTS,
    MINIMUM_BONUS_CENTS,
    Bonus,
    Contract,
    ContractState,
)
from openlance.contracts.payments.common import (
    charge_card_to_balance,
    client_fee_quote,
    require_balance,
)
from openlance.contracts.pricing import contract_fee_policy
from openlance.core import clock
from openlance.core.errors import Conflict, IdempotencyConflict, InvalidInput
from openlance.core.money import Money
from openlance.core.services import event_emit
from openlance.ledger.models import AccountKind, LedgerAccount
from openlance.ledger.services import account_for, accounts_lock, platform_account, transfer_post

BONUS_FEE = "bonus_fee"
# How long after a contract ended the client may still pay a bonus on it.
BONUS_AFTER_END = timedelta(days=365)
MAX_NOTE = 1000


def bonus_allowed(contract: Contract) -> bool:
    """While the contract runs or is paused, and up to 365 days after it ended."""
    if contract.state != ContractState.ENDED:
        return True
    return contract.ended_at is not None and clock.now() <= contract.ended_at + BONUS_AFTER_END


def _require_bonus_allowed(contract: Contract) -> None:
    if not bonus_allowed(contract):
        raise Conflict("A bonus is paid up to 365 days after the contract ended.")


def _checked(amount: Money, note: str, payment_method: str, key: str) -> tuple[str, str, str]:
    errors: dict[str, list[str]] = {}
    if amount.currency != "USD":
        errors["amount"] = ["Use USD."]
    elif not MINIMUM_BONUS_CENTS <= amount.cents <= MAXIMUM_MILESTONE_CENTS:
        errors["amount"] = [
            f"Between {Money(MINIMUM_BONUS_CENTS)} and {Money(MAXIMUM_MILESTONE_CENTS)}."
        ]
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        errors["note"] = [f"At most {MAX_NOTE} characters."]
    payment_method = (payment_method or "").strip()
    if not payment_method or len(payment_method) > 100:
        errors["payment_method"] = ['"balance" or a card token of at most 100 characters.']
    key = (key or "").strip()
    if not key or len(key) > 200:
        raise InvalidInput("A bonus request needs a key of 1 to 200 characters.")
    if errors:
        raise InvalidInput("Check the bonus.", field_errors=errors)
    return note, payment_method, idempotency_key_digest(key)


def bonus_pay(
    *,
    client: User,
    contract: Contract,
    amount: Money,
    note: str = "",
    payment_method: str = BALANCE,
    key: str,
) -> Bonus:
    """The client pays the freelancer a bonus. The same `key` again returns the bonus it
    paid (another amount with it: an IdempotencyConflict); a balance that does not cover the
    total, or a declined card, pays nothing."""
    require_party(contract, client, "client")
    _require_bonus_allowed(contract)
    note, payment_method, digest = _checked(amount, note, payment_method, key)
    existing = Bonus.objects.filter(contract=contract, key=digest).first()
    if existing is not None:
        return _replayed(existing, amount)
    fee, total = client_fee_quote(contract=contract, amount=amount)
    pay = partial(
        _pay_locked, client=client, amount=amount, note=note, digest=digest, fee=fee, total=total
    )
    if payment_method != BALANCE:
        charge_card_to_balance(
            client=client,
            contract=contract,
            subject=f"bonus:{contract.pk}:{digest}",
            card=payment_method,
            total=total,
            what=f"a bonus on contract {contract.pk}",
            around_booking=partial(
                spend_on_booking,
                partial(_locked_for_card, contract=contract, pay=pay),
                what=f"Bonus on contract {contract.pk}",
            ),
            paid=Bonus.objects.filter(contract=contract, key=digest).exists,
        )
    # Paid by the card's booking already, this finds the bonus; else it pays, or says why not.
    with transaction.atomic():
        return pay(locked=_locked(contract))


def _locked(contract: Contract) -> Contract:
    """The contract, then the pair's relationship row, locked: before any account, in the
    order every payment takes them."""
    locked = lock_contract(contract)
    relationship_locked(freelancer=locked.freelancer, client=locked.client)
    return locked


def _locked_for_card(
    *, contract: Contract, pay: Callable[..., Bonus]
) -> tuple[list[LedgerAccount], Callable[[], Bonus]]:
    """For `spend_on_booking`: the bonus's rows locked (`_locked`); the accounts its fee and
    its payment to the freelancer move money into; the payment."""
    locked = _locked(contract)
    return _bonus_accounts(locked), partial(pay, locked=locked)


def _bonus_accounts(locked: Contract) -> list[LedgerAccount]:
    """Every account a bonus's two transfers (its fee, its payment) touch: locked in one
    sweep before the first posts, by either path, so the bonus never holds some while it
    waits for the others in a cycle with another event."""
    return [
        account_for(kind=AccountKind.CLIENT_FUNDING, owner=locked.client),
        account_for(kind=AccountKind.FREELANCER_PENDING, owner=locked.freelancer),
        platform_account(AccountKind.PLATFORM_FEE_REVENUE, spread=locked.client_id),
    ]


def _pay_locked(
    *,
    client: User,
    locked: Contract,
    amount: Money,
    note: str,
    digest: str,
    fee: int,
    total: int,
) -> Bonus:
    """Pay the bonus from the client's balance, its contract and relationship locked
    (`_locked`); the bonus this request's key paid already, if it did."""
    _require_bonus_allowed(locked)
    existing = Bonus.objects.filter(contract=locked, key=digest).first()
    if existing is not None:
        return _replayed(existing, amount)
    accounts_lock(_bonus_accounts(locked))
    funding = account_for(kind=AccountKind.CLIENT_FUNDING, owner=locked.client)
    require_balance(funding, total, "the bonus")
    charge = None
    if fee:
        charge = transfer_post(
            key=f"bonus:{locked.pk}:{digest}:fee",
            kind=BONUS_FEE,
            description=f"Marketplace fee on a bonus on contract {locked.pk}",
            legs=[
                (funding, -fee),
                (platform_account(AccountKind.PLATFORM_FEE_REVENUE, spread=client.pk), fee),
            ],
            metadata={
                "contract_id": locked.pk,
                "amount_cents": amount.cents,
                "marketplace_fee_cents": fee,
            },
            client=locked.client,
            freelancer=locked.freelancer,
        )
    payment = payment_for_work(
        kind=PaymentKind.BONUS,
        key=f"bonus:{locked.pk}:{digest}:pay",
        freelancer=locked.freelancer,
        client=locked.client,
        gross=amount,
        source=funding,
        schedule=contract_fee_policy(locked).freelancer_fee,
        description=f"Bonus on contract {locked.pk}",
        metadata={"contract_id": locked.pk},
    )
    bonus = Bonus.objects.create(
        contract=locked,
        amount_cents=amount.cents,
        marketplace_fee_cents=fee,
        note=note,
        key=digest,
        created_at=payment.created_at,
        fee_transfer=charge,
        payment=payment,
    )
    event_emit(
        kind="bonus.paid",
        payload={"bonus_id": bonus.pk, "contract_id": locked.pk},
    )
    return bonus


def _replayed(existing: Bonus, amount: Money) -> Bonus:
    if existing.amount_cents != amount.cents:
        raise IdempotencyConflict("This request key already paid a bonus of another amount.")
    return existing
