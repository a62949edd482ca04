"""The one way money moves: `transfer_post`. Everything that pays, charges, refunds or
withdraws builds its legs and calls it with a key derived from its business event."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, connection, transaction

from openlance.core import clock
from openlance.core.errors import Conflict, IdempotencyConflict, InsufficientFunds, InvalidInput
from openlance.core.money import Money
from openlance.core.services import event_emit
from openlance.ledger.models import MAY_GO_NEGATIVE, AccountKind, Entry, LedgerAccount, Transfer

Leg = tuple[LedgerAccount, int]


def account_code(
    *, kind: str, owner: AbstractBaseUser | None = None, reference: str = "", currency: str = "USD"
) -> str:
    parts = [kind]
    if owner is not None:
        parts.append(f"user:{owner.pk}")
    if reference:
        parts.append(reference)
    parts.append(currency)
    return ":".join(parts)


def account_for(
    *,
    kind: AccountKind | str,
    owner: AbstractBaseUser | None = None,
    reference: str = "",
    currency: str = "USD",
) -> LedgerAccount:
    """The account of this kind for this owner/reference, opened on first use."""
    kind = AccountKind(kind)
    code = account_code(kind=kind, owner=owner, reference=reference, currency=currency)
    account = LedgerAccount.objects.filter(code=code).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return LedgerAccount.objects.create(
                code=code,
                kind=kind,
                owner_id=owner.pk if owner is not None else None,
                reference=reference,
                currency=currency,
                may_go_negative=kind in MAY_GO_NEGATIVE,
                created_at=clock.now(),
            )
    except IntegrityError:
        return LedgerAccount.objects.get(code=code)


def _validate_legs(legs: Sequence[Leg]) -> str:
    if len(legs) < 2:
        raise InvalidInput("A transfer needs at least two legs.")
    account_ids = [account.pk for account, _ in legs]
    if len(set(account_ids)) != len(account_ids):
        raise InvalidInput("A transfer touches each account once.")
    if any(isinstance(amount, bool) or not isinstance(amount, int) for _, amount in legs):
        raise InvalidInput("Leg amounts are whole cents.")
    if any(amount == 0 for _, amount in legs):
        raise InvalidInput("A leg cannot be zero.")
    if sum(amount for _, amount in legs) != 0:
        raise InvalidInput("A transfer's legs must sum to zero.")
    currencies = {account.currency for account, _ in legs}
    if len(currencies) != 1:
        raise InvalidInput("A transfer moves one currency.")
    return currencies.pop()


def _signature(legs: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    return sorted(legs)


def _same_as_existing(existing: Transfer, legs: Sequence[Leg]) -> Transfer:
    stored = list(existing.entries.values_list("account_id", "amount_cents"))
    if _signature(stored) != _signature([(account.pk, amount) for account, amount in legs]):
        raise IdempotencyConflict(
            f"Transfer key {existing.idempotency_key!r} was already used for different legs."
        )
    return existing


def transfer_post(
    *,
    key: str,
    kind: str,
    description: str,
    legs: Sequence[Leg],
    metadata: dict[str, Any] | None = None,
    reverses: Transfer | None = None,
) -> Transfer:
    """Post a balanced transfer at most once per key.

    Accounts are locked in id order (so two transfers never wait on each other in a cycle),
    balances are re-read under the lock, and an account that may not go negative makes the
    whole transfer fail with nothing written. A repeat of the same key with the same legs
    returns the first transfer; with other legs it is an IdempotencyConflict.
    """
    if not key or len(key) > 200:
        raise InvalidInput("A transfer needs an idempotency key of at most 200 characters.")
    currency = _validate_legs(legs)
    try:
        with transaction.atomic():
            return _post_locked(
                key=key,
                kind=kind,
                description=description,
                legs=legs,
                currency=currency,
                metadata=metadata or {},
                reverses=reverses,
            )
    except IntegrityError:
        # Lost a race to the same key on the unique index: the winner's transfer stands.
        existing = Transfer.objects.filter(idempotency_key=key).first()
        if existing is None:
            raise
        return _same_as_existing(existing, legs)


def _post_locked(
    *,
    key: str,
    kind: str,
    description: str,
    legs: Sequence[Leg],
    currency: str,
    metadata: dict[str, Any],
    reverses: Transfer | None,
) -> Transfer:
    ids = sorted(account.pk for account, _ in legs)
    locked = LedgerAccount.objects.filter(pk__in=ids).order_by("pk")
    if connection.features.has_select_for_update:
        locked = locked.select_for_update()
    accounts = {account.pk: account for account in locked}

    existing = Transfer.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return _same_as_existing(existing, legs)

    for account, amount in legs:
        current = accounts[account.pk]
        if not current.may_go_negative and current.balance_cents + amount < 0:
            raise InsufficientFunds(
                f"{current.get_kind_display()} holds {Money(current.balance_cents, currency)}; "
                f"{Money(-amount, currency)} cannot be taken from it."
            )

    transfer = Transfer.objects.create(
        idempotency_key=key,
        kind=kind,
        description=description[:255],
        currency=currency,
        reverses=reverses,
        metadata=metadata,
        created_at=clock.now(),
    )
    entries = []
    for account, amount in sorted(legs, key=lambda leg: leg[0].pk):
        current = accounts[account.pk]
        current.balance_cents += amount
        current.save(update_fields=["balance_cents"])
        entries.append(
            Entry(
                transfer=transfer,
                account=current,
                amount_cents=amount,
                currency=currency,
                balance_after_cents=current.balance_cents,
            )
        )
        account.balance_cents = current.balance_cents
    Entry.objects.bulk_create(entries)
    event_emit(
        kind="ledger.transfer_posted",
        payload={"transfer_id": transfer.pk, "kind": kind, "key": key},
    )
    return transfer


def transfer_reverse(*, transfer: Transfer, reason: str, key: str | None = None) -> Transfer:
    """Undo a transfer with its mirror image. A transfer is reversed at most once."""
    if transfer.reverses_id is not None:
        raise Conflict("A reversal cannot itself be reversed; post a new transfer instead.")
    reversal = Transfer.objects.filter(reverses=transfer).first()
    if reversal is not None:
        return reversal
    legs = [
        (entry.account, -entry.amount_cents) for entry in transfer.entries.select_related("account")
    ]
    return transfer_post(
        key=key or f"reversal:{transfer.idempotency_key}"[:200],
        kind=f"{transfer.kind}.reversal"[:48],
        description=f"Reversal: {reason}"[:255],
        legs=legs,
        metadata={"reason": reason, "reverses": transfer.pk},
        reverses=transfer,
    )
