"""All writes to the Connects ledger. Each move happens at most once per key: a repeat with
the same key returns the first move, so callers derive keys from their business event
(`proposal:42:spend`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F

from openlance.accounts.models import User
from openlance.connects.models import (
    ConnectsAccount,
    ConnectsEntry,
    ConnectsLot,
    ConnectsMove,
    LotSource,
    MoveKind,
)
from openlance.core import clock
from openlance.core.errors import Conflict, IdempotencyConflict, InvalidInput
from openlance.core.policies import connects_policy_at
from openlance.core.services import event_emit

MAX_KEY_LENGTH = 200


class NotEnoughConnects(Conflict):
    title = "Not enough Connects"
    code = "not_enough_connects"


def _month_after(moment: datetime) -> datetime:
    """The same day next month, clamped to the month's end (31 Jan → 28/29 Feb)."""
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    for day in (moment.day, 30, 29, 28):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("every month has 28 days")


def connects_account_open(*, user: User) -> ConnectsAccount:
    """The user's Connects account, opened on first use on the Basic plan; the first plan
    allotment falls due at once, then monthly on that date."""
    account = ConnectsAccount.objects.filter(user=user).first()
    if account is not None:
        return account
    now = clock.now()
    try:
        with transaction.atomic():
            return ConnectsAccount.objects.create(user=user, next_grant_at=now, created_at=now)
    except IntegrityError:
        return ConnectsAccount.objects.get(user=user)


def _locked(user: User) -> ConnectsAccount:
    account = connects_account_open(user=user)
    return ConnectsAccount.objects.select_for_update().get(pk=account.pk)


def _existing(key: str, *, account: ConnectsAccount, kind: str, units: int) -> ConnectsMove | None:
    move = ConnectsMove.objects.filter(key=key).first()
    if move is None:
        return None
    if move.account_id != account.pk or move.kind != kind or move.units != units:
        raise IdempotencyConflict(f"Connects key {key!r} was already used for another move.")
    return move


def _check_key(key: str) -> None:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(f"A Connects move needs a key of at most {MAX_KEY_LENGTH} characters.")


def _record(
    *,
    account: ConnectsAccount,
    key: str,
    kind: str,
    legs: list[tuple[ConnectsLot, int]],
    description: str,
    reference: str,
    refund_of: ConnectsMove | None = None,
) -> ConnectsMove:
    units = sum(amount for _, amount in legs)
    ConnectsAccount.objects.filter(pk=account.pk).update(balance=F("balance") + units)
    account.refresh_from_db(fields=["balance"])
    move = ConnectsMove.objects.create(
        account=account,
        key=key,
        kind=kind,
        units=units,
        description=description[:255],
        reference=reference[:100],
        refund_of=refund_of,
        balance_after=account.balance,
        created_at=clock.now(),
    )
    for lot, amount in legs:
        ConnectsLot.objects.filter(pk=lot.pk).update(remaining=F("remaining") + amount)
        ConnectsEntry.objects.create(move=move, lot=lot, units=amount)
    event_emit(
        kind=f"connects.{kind}",
        payload={
            "user_id": account.user_id,
            "move_id": move.pk,
            "units": units,
            "balance": account.balance,
            "reference": reference,
        },
    )
    return move


def connects_grant(
    *,
    user: User,
    units: int,
    source: LotSource | str,
    key: str,
    description: str,
    reference: str = "",
) -> ConnectsMove:
    """Add a lot of Connects that expires after the policy's expiry period. A purchase is a
    grant whose source is `purchase`, booked by billing once the money is in."""
    _check_key(key)
    source = LotSource(source)
    if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
        raise InvalidInput("A grant is a positive whole number of Connects.")
    kind = MoveKind.PURCHASE if source == LotSource.PURCHASE else MoveKind.GRANT
    with transaction.atomic():
        account = _locked(user)
        existing = _existing(key, account=account, kind=kind, units=units)
        if existing is not None:
            return existing
        now = clock.now()
        policy = connects_policy_at(now)
        lot = ConnectsLot.objects.create(
            account=account,
            source=source,
            units=units,
            remaining=0,
            granted_at=now,
            expires_at=now + timedelta(days=policy.expiry_days),
        )
        return _record(
            account=account,
            key=key,
            kind=kind,
            legs=[(lot, units)],
            description=description,
            reference=reference,
        )


def _expire_lots(account: ConnectsAccount, *, now: datetime) -> int:
    """Expire what is left of the account's lots past their date (account row locked)."""
    expired = 0
    for lot in ConnectsLot.objects.filter(account=account, remaining__gt=0, expires_at__lte=now):
        # The lot's entry count makes the key unique per expiry of the same lot: a lot can
        # expire again after a refund restores Connects to it.
        seq = lot.entries.count()
        _record(
            account=account,
            key=f"lot:{lot.pk}:expiry:{seq}",
            kind=MoveKind.EXPIRY,
            legs=[(lot, -lot.remaining)],
            description=f"{lot.get_source_display()} of {lot.granted_at:%Y-%m-%d} expired",
            reference=f"lot:{lot.pk}",
        )
        expired += lot.remaining
    return expired


def connects_spend(
    *, user: User, units: int, key: str, description: str, reference: str = ""
) -> ConnectsMove:
    """Spend Connects, oldest-expiring lots first. Not enough spendable Connects raises
    NotEnoughConnects with nothing written."""
    _check_key(key)
    if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
        raise InvalidInput("A spend is a positive whole number of Connects.")
    with transaction.atomic():
        account = _locked(user)
        existing = _existing(key, account=account, kind=MoveKind.SPEND, units=-units)
        if existing is not None:
            return existing
        _expire_lots(account, now=clock.now())
        account.refresh_from_db(fields=["balance"])
        if account.balance < units:
            raise NotEnoughConnects(
                f"This needs {units} Connects and you have {account.balance}. "
                "Buy more Connects or wait for your next monthly allotment."
            )
        legs: list[tuple[ConnectsLot, int]] = []
        needed = units
        for lot in ConnectsLot.objects.filter(account=account, remaining__gt=0).order_by(
            "expires_at", "id"
        ):
            take = min(needed, lot.remaining)
            legs.append((lot, -take))
            needed -= take
            if needed == 0:
                break
        return _record(
            account=account,
            key=key,
            kind=MoveKind.SPEND,
            legs=legs,
            description=description,
            reference=reference,
        )


def connects_refund(*, spend: ConnectsMove, key: str, description: str) -> ConnectsMove:
    """Give back a spend in full, to the lots it came from, keeping their expiry dates; what
    falls in a lot already past its date expires again at once. At most one refund per spend."""
    _check_key(key)
    if spend.kind != MoveKind.SPEND:
        raise InvalidInput("Only a spend can be refunded.")
    with transaction.atomic():
        account = ConnectsAccount.objects.select_for_update().get(pk=spend.account_id)
        already = ConnectsMove.objects.filter(refund_of=spend).first()
        if already is not None:
            if already.key != key:
                raise Conflict("These Connects were already refunded.")
            return already
        legs = [(entry.lot, -entry.units) for entry in spend.entries.select_related("lot")]
        move = _record(
            account=account,
            key=key,
            kind=MoveKind.REFUND,
            legs=legs,
            description=description,
            reference=spend.reference,
            refund_of=spend,
        )
        _expire_lots(account, now=clock.now())
        return move


def connects_expiry_run_due(*, now: datetime) -> int:
    """Expire every lot past its date (SPEC §17). Safe to run twice: an expired lot has
    nothing left."""
    expired = 0
    account_ids = (
        ConnectsLot.objects.filter(remaining__gt=0, expires_at__lte=now)
        .values_list("account_id", flat=True)
        .distinct()
    )
    for account_id in list(account_ids):
        with transaction.atomic():
            account = ConnectsAccount.objects.select_for_update().get(pk=account_id)
            expired += _expire_lots(account, now=now)
    return expired
