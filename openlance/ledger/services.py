"""The one way money moves: `transfer_post`. Everything that pays, charges, refunds or
withdraws builds its legs and calls it with a key derived from its business event."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, connection, transaction

from openlance.core import clock
from openlance.core.errors import Conflict, IdempotencyConflict, InsufficientFunds, InvalidInput
from openlance.core.money import Money
from openlance.ledger.models import (
    MAY_GO_NEGATIVE,
    PLATFORM_KINDS,
    PLATFORM_SHARDS,
    AccountKind,
    Entry,
    LedgerAccount,
    Transfer,
)

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


def platform_account(
    kind: AccountKind | str, *, spread: int, currency: str = "USD"
) -> LedgerAccount:
    """The sub-account of platform account `kind` that a business event of `spread` (the
    user it concerns) credits: see PLATFORM_SHARDS. Undoing a credit takes it back from the
    sub-account it went to (`credited_account`), so no sub-account is ever overdrawn."""
    kind = AccountKind(kind)
    if kind not in PLATFORM_KINDS:
        raise InvalidInput(f"{kind.label} is not a platform account.")
    return account_for(
        kind=kind, reference=f"shard:{spread % PLATFORM_SHARDS:02d}", currency=currency
    )


def credited_account(transfer: Transfer, kind: AccountKind | str) -> LedgerAccount:
    """The account of `kind` that `transfer` paid into, to take that money back from."""
    entry = (
        transfer.entries.select_related("account")
        .filter(account__kind=kind, amount_cents__gt=0)
        .first()
    )
    if entry is None:
        raise InvalidInput(f"Transfer {transfer.pk} paid nothing into a {kind} account.")
    return entry.account


def accounts_lock(accounts: Iterable[LedgerAccount]) -> None:
    """Lock, in id order, every account that a business event's several transfers will
    touch, before the first of them posts. Each transfer locks its own accounts in id order,
    but two events posting two transfers each could still wait on each other in a cycle
    (one holds the fee account and wants the client's, the other the reverse); taking them
    all at once, in one order, first, cannot. Runs inside the caller's transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("accounts_lock must run inside the caller's transaction")
    if not connection.features.has_select_for_update:
        return  # SQLite: the first write takes the database lock, which serializes writers
    ids = sorted({account.pk for account in accounts})
    list(
        LedgerAccount.objects.filter(pk__in=ids)
        .order_by("pk")
        .select_for_update()
        .values_list("pk", flat=True)
    )


# Transfer kinds that another app keeps a record in step with (a payment's relationship
# totals and refund record): undoing one of them is that app's own service, never a bare
# mirror image that would leave its record behind. Filled by those apps when they load.
_UNDONE_ELSEWHERE: dict[str, str] = {}


def reversal_refuse(kinds: Iterable[str], *, undone_by: str) -> None:
    """Make `transfer_reverse` refuse transfers of `kinds`, naming the service that undoes
    them instead."""
    for kind in kinds:
        _UNDONE_ELSEWHERE[kind] = undone_by


def transfer_post(
    *,
    key: str,
    kind: str,
    description: str,
    legs: Sequence[Leg],
    metadata: dict[str, Any] | None = None,
    reverses: Transfer | None = None,
    client: AbstractBaseUser | None = None,
    freelancer: AbstractBaseUser | None = None,
) -> Transfer:
    """Post a balanced transfer at most once per key.

    Accounts are locked in id order (so two transfers never wait on each other in a cycle),
    balances are re-read under the lock, and an account that may not go negative makes the
    whole transfer fail with nothing written. A repeat of the same key with the same legs
    returns the first transfer; with other legs it is an IdempotencyConflict. `client` and
    `freelancer` name the parties the transfer is about, for the reads that find them.

    On PostgreSQL the lock-check-insert-update runs in one call of the database function
    `ledger_transfer_post` (migration ledger 0003): one round trip instead of one per
    statement. Elsewhere the same steps run from Python.
    """
    if not key or len(key) > 200:
        raise InvalidInput("A transfer needs an idempotency key of at most 200 characters.")
    currency = _validate_legs(legs)
    transfer = Transfer(
        idempotency_key=key,
        kind=kind,
        description=description[:255],
        currency=currency,
        reverses=reverses,
        client_id=client.pk if client is not None else None,
        freelancer_id=freelancer.pk if freelancer is not None else None,
        metadata=metadata or {},
        created_at=clock.now(),
    )
    post = _post_in_database if connection.vendor == "postgresql" else _post_locked
    try:
        with transaction.atomic():
            return post(transfer, legs)
    except IntegrityError:
        # Lost a race to the same key on the unique index: the winner's transfer stands.
        existing = Transfer.objects.filter(idempotency_key=key).first()
        if existing is None:
            raise
        return _same_as_existing(existing, legs)


def _refusal(account: LedgerAccount, amount: int, currency: str) -> InsufficientFunds:
    return InsufficientFunds(
        f"{account.get_kind_display()} holds {Money(account.balance_cents, currency)}; "
        f"{Money(-amount, currency)} cannot be taken from it."
    )


_POST_SQL = (
    "SELECT * FROM ledger_transfer_post(%s::text, %s::text, %s::text, %s::text, %s::bigint, "
    "%s::jsonb, %s::timestamptz, %s::bigint, %s::bigint, %s::bigint[], %s::bigint[])"
)


def _post_in_database(transfer: Transfer, legs: Sequence[Leg]) -> Transfer:
    ordered = sorted(legs, key=lambda leg: leg[0].pk)
    with connection.cursor() as cursor:
        cursor.execute(
            _POST_SQL,
            [
                transfer.idempotency_key,
                transfer.kind,
                transfer.description,
                transfer.currency,
                transfer.reverses_id,
                json.dumps(transfer.metadata),
                transfer.created_at,
                transfer.client_id,
                transfer.freelancer_id,
                [account.pk for account, _ in ordered],
                [amount for _, amount in ordered],
            ],
        )
        transfer_id, short_account_id, short_balance, balances = cursor.fetchone()
    if short_account_id is not None:
        account, amount = next(leg for leg in ordered if leg[0].pk == short_account_id)
        account.balance_cents = short_balance
        raise _refusal(account, amount, transfer.currency)
    if balances is None:
        existing = Transfer.objects.get(pk=transfer_id)
        return _same_as_existing(existing, legs)
    for (account, _), balance in zip(ordered, balances, strict=True):
        account.balance_cents = balance
    transfer.pk = transfer_id
    transfer._state.adding = False
    transfer._state.db = connection.alias
    return transfer


def _post_locked(transfer: Transfer, legs: Sequence[Leg]) -> Transfer:
    ids = sorted(account.pk for account, _ in legs)
    locked = LedgerAccount.objects.filter(pk__in=ids).order_by("pk")
    if connection.features.has_select_for_update:
        locked = locked.select_for_update()
    accounts = {account.pk: account for account in locked}

    existing = Transfer.objects.filter(idempotency_key=transfer.idempotency_key).first()
    if existing is not None:
        return _same_as_existing(existing, legs)

    for account, amount in legs:
        current = accounts[account.pk]
        if not current.may_go_negative and current.balance_cents + amount < 0:
            raise _refusal(current, amount, transfer.currency)

    transfer.save(force_insert=True)
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
                currency=transfer.currency,
                balance_after_cents=current.balance_cents,
            )
        )
        account.balance_cents = current.balance_cents
    Entry.objects.bulk_create(entries)
    return transfer


def transfer_reverse(*, transfer: Transfer, reason: str, key: str | None = None) -> Transfer:
    """Undo a transfer with its mirror image. A transfer is reversed at most once."""
    if transfer.reverses_id is not None:
        raise Conflict("A reversal cannot itself be reversed; post a new transfer instead.")
    undone_by = _UNDONE_ELSEWHERE.get(transfer.kind)
    if undone_by is not None:
        raise Conflict(f"A {transfer.kind} transfer is undone by {undone_by}, not reversed.")
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
        client=transfer.client,
        freelancer=transfer.freelancer,
    )
