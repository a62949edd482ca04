"""All writes to the Connects ledger. Each move happens at most once per key: a repeat with
the same key returns the first move, so callers derive keys from their business event
(`proposal:42:spend`)."""

from __future__ import annotations

from calendar import monthrange
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
    Plan,
)
from openlance.core import clock
from openlance.core.errors import Conflict, IdempotencyConflict, InvalidInput, InvalidTransition
from openlance.core.policies import ConnectsPlan, ConnectsPolicy, connects_policy_at
from openlance.core.services import event_emit

MAX_KEY_LENGTH = 200


class NotEnoughConnects(Conflict):
    title = "Not enough Connects"
    code = "not_enough_connects"


def _month_after(moment: datetime, *, day: int) -> datetime:
    """Day `day` of the month after `moment`'s, clamped to that month's end (31 → 28/29 Feb),
    at `moment`'s time of day."""
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return moment.replace(year=year, month=month, day=min(day, monthrange(year, month)[1]))


def connects_account_open(*, user: User) -> ConnectsAccount:
    """The user's Connects account, opened on first use on the Basic plan; the first plan
    allotment falls due at once, then monthly on that date. A freelancer's account gets the
    policy's welcome grant the first time it is opened or read as theirs."""
    account = _open(user)
    if user.is_freelancer and account.welcomed_at is None:
        connects_welcome_grant(user=user)
        account.refresh_from_db()
    return account


def connects_account_locked(*, user: User) -> ConnectsAccount:
    """The user's account, row-locked until the caller's transaction ends (billing holds it
    from re-checking the plan to booking a charge, never during the gateway call)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("connects_account_locked must run inside a transaction")
    return _locked(user)


def _open(user: User) -> ConnectsAccount:
    account = ConnectsAccount.objects.filter(user=user).first()
    if account is not None:
        return account
    now = clock.now()
    try:
        with transaction.atomic():
            return ConnectsAccount.objects.create(
                user=user, next_grant_at=now, monthly_day=now.day, created_at=now
            )
    except IntegrityError:
        return ConnectsAccount.objects.get(user=user)


def _locked(user: User) -> ConnectsAccount:
    return ConnectsAccount.objects.select_for_update().get(pk=_open(user).pk)


def _welcome(account: ConnectsAccount, *, user: User) -> None:
    now = clock.now()
    account.welcomed_at = now
    ConnectsAccount.objects.filter(pk=account.pk).update(welcomed_at=now)
    units = connects_policy_at(now).welcome_grant
    key = f"welcome:{user.pk}"
    if units > 0 and not ConnectsMove.objects.filter(key=key).exists():
        _add_lot(
            account,
            units=units,
            source=LotSource.WELCOME,
            key=key,
            description="Welcome to Openlance",
            reference="",
            now=now,
        )


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
    at: datetime | None = None,
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
        created_at=at or clock.now(),
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


def _add_lot(
    account: ConnectsAccount,
    *,
    units: int,
    source: LotSource,
    key: str,
    description: str,
    reference: str,
    now: datetime,
) -> ConnectsMove:
    """A new lot and the move that fills it (account row locked, key known to be new)."""
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
        kind=MoveKind.PURCHASE if source == LotSource.PURCHASE else MoveKind.GRANT,
        legs=[(lot, units)],
        description=description,
        reference=reference,
        at=now,
    )


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
        return _add_lot(
            account,
            units=units,
            source=source,
            key=key,
            description=description,
            reference=reference,
            now=clock.now(),
        )


def connects_welcome_grant(*, user: User) -> ConnectsMove | None:
    """The policy's one-time welcome grant for a new freelancer (key `welcome:<user id>`),
    given when their account is first opened as a freelancer's (their first page, the API,
    or a purchase); None when the policy granted nothing or the user is not a freelancer."""
    if not user.is_freelancer:
        return None
    with transaction.atomic():
        account = _locked(user)
        if account.welcomed_at is None:
            _welcome(account, user=user)
        return ConnectsMove.objects.filter(key=f"welcome:{user.pk}").first()


def connects_rising_talent_grant(*, user: User) -> ConnectsMove | None:
    """The policy's one-time Rising Talent grant (key `rising_talent:<user id>`), given by
    the badge rules when a freelancer earns the badge; None when the policy grants nothing.
    Once per account: a badge earned again after the policy's grant changed finds the first
    grant, it is not a conflicting second one."""
    if not user.is_freelancer:
        raise InvalidInput("Only freelancers receive the Rising Talent grant.")
    key = f"rising_talent:{user.pk}"
    granted = ConnectsMove.objects.filter(key=key).first()
    if granted is not None:
        return granted
    units = connects_policy_at(clock.now()).rising_talent_grant
    if units <= 0:
        return None
    return connects_grant(
        user=user,
        units=units,
        source=LotSource.RISING_TALENT,
        key=key,
        description="Rising Talent grant",
    )


def plan_terms(policy: ConnectsPolicy, plan: Plan | str) -> ConnectsPlan:
    return policy.plus_plan if plan == Plan.PLUS else policy.basic_plan


def allotment_cap(terms: ConnectsPlan) -> int | None:
    """The balance a monthly allotment may fill up to: the allotment itself when nothing
    rolls over, the rollover cap when there is one, no limit (None) otherwise."""
    if not terms.rollover:
        return terms.monthly_grant
    return terms.rollover_cap


def _grant_allotment(
    account: ConnectsAccount,
    *,
    plan: Plan,
    key: str,
    description: str,
    reference: str,
    terms_at: datetime,
    now: datetime,
) -> ConnectsMove | None:
    """The plan's allotment, cut so the balance stays within the plan's cap (account row
    locked). Lapsed Connects expire first so they do not count against the cap."""
    existing = ConnectsMove.objects.filter(key=key).first()
    if existing is not None:
        return existing
    _expire_lots(account, now=now)
    account.refresh_from_db(fields=["balance"])
    terms = plan_terms(connects_policy_at(terms_at), plan)
    units = terms.monthly_grant
    cap = allotment_cap(terms)
    if cap is not None:
        units = min(units, cap - account.balance)
    if units <= 0:
        return None
    return _add_lot(
        account,
        units=units,
        source=LotSource.MONTHLY,
        key=key,
        description=description,
        reference=reference,
        now=now,
    )


def connects_plus_start(
    *, user: User, payment_method: str, subscription_key: str, charge_reference: str
) -> ConnectsAccount:
    """Put the account on Plus once billing has taken the first month's price: the monthly
    date becomes today (the Basic cycle ends here) and the first Plus allotment is granted
    at once, within the rollover cap. A repeat with the same subscription key changes
    nothing."""
    if not payment_method.strip():
        raise InvalidInput("Plus needs a card.", field_errors={"payment_method": ["Required."]})
    with transaction.atomic():
        account = _locked(user)
        if account.plan == Plan.PLUS:
            if account.plus_subscription_key == subscription_key:
                return account
            raise InvalidTransition("You are on Plus already.")
        now = clock.now()
        account.plan = Plan.PLUS
        account.plus_payment_method = payment_method
        account.plus_started_at = now
        account.plus_cancelled_at = None
        account.plus_subscription_key = subscription_key
        account.monthly_day = now.day
        account.next_grant_at = _month_after(now, day=now.day)
        account.save(
            update_fields=[
                "plan",
                "plus_payment_method",
                "plus_started_at",
                "plus_cancelled_at",
                "plus_subscription_key",
                "monthly_day",
                "next_grant_at",
            ]
        )
        _grant_allotment(
            account,
            plan=Plan.PLUS,
            key=f"plus:{account.pk}:start:{subscription_key}",
            description="Plus plan allotment (first month)",
            reference=f"charge:{charge_reference}" if charge_reference else "",
            terms_at=now,
            now=now,
        )
        event_emit(kind="connects.plus_started", payload={"user_id": user.pk})
        account.refresh_from_db()
        return account


def connects_plus_cancel(*, user: User) -> ConnectsAccount:
    """Stop renewing Plus. The month already paid for is kept: the account stays on Plus
    until its monthly date, which then grants the Basic allotment instead of charging."""
    with transaction.atomic():
        # Not opened here: cancelling must not give someone without Connects an account.
        account = ConnectsAccount.objects.select_for_update().filter(user=user).first()
        if account is None or account.plan != Plan.PLUS:
            raise InvalidTransition("You are on Basic; there is no Plus subscription to cancel.")
        if account.plus_cancelled_at is not None:
            ends = account.next_grant_at
            raise InvalidTransition(
                f"Plus is already cancelled; it ends on {ends:%B} {ends.day}, {ends.year}."
            )
        account.plus_cancelled_at = clock.now()
        account.save(update_fields=["plus_cancelled_at"])
        event_emit(
            kind="connects.plus_cancelled",
            payload={"user_id": user.pk, "ends_at": account.next_grant_at.isoformat()},
        )
        return account


def connects_plus_resume(*, user: User, payment_method: str) -> ConnectsAccount:
    """Take back a cancellation before the monthly date: nothing is charged now (the month
    is paid for); Plus renews on the monthly date with `payment_method`."""
    if not payment_method.strip():
        raise InvalidInput("Plus needs a card.", field_errors={"payment_method": ["Required."]})
    with transaction.atomic():
        account = _locked(user)
        if not (account.plan == Plan.PLUS and account.plus_cancelled_at is not None):
            raise InvalidTransition("Only a cancelled Plus subscription can be resumed.")
        account.plus_cancelled_at = None
        account.plus_payment_method = payment_method
        account.save(update_fields=["plus_cancelled_at", "plus_payment_method"])
        return account


def connects_month_close(
    *, user: User, due_at: datetime, plan: Plan, now: datetime, lapse_reason: str = ""
) -> ConnectsMove | None:
    """Close the monthly period that fell due at `due_at`: the account goes onto `plan`
    (billing has charged Plus when that is Plus), gets that plan's allotment within its cap
    under the policy in force at `due_at`, and its monthly date moves on a month. Nothing
    happens when that period is already closed, so a second run is harmless.
    `lapse_reason` says why a Plus account falls back to Basic (a declined card)."""
    with transaction.atomic():
        account = _locked(user)
        if account.next_grant_at != due_at:
            return None
        if plan == Plan.BASIC and account.plan == Plan.PLUS:
            account.plus_payment_method = ""
            account.plus_started_at = None
            account.plus_cancelled_at = None
            account.plus_subscription_key = ""
            if lapse_reason:
                event_emit(
                    kind="connects.plus_lapsed",
                    payload={"user_id": user.pk, "reason": lapse_reason},
                )
        account.plan = plan
        account.next_grant_at = _month_after(due_at, day=account.monthly_day)
        account.save(
            update_fields=[
                "plan",
                "next_grant_at",
                "plus_payment_method",
                "plus_started_at",
                "plus_cancelled_at",
                "plus_subscription_key",
            ]
        )
        return _grant_allotment(
            account,
            plan=plan,
            key=f"allotment:{account.pk}:{due_at:%Y%m%dT%H%M%S}",
            description=f"{Plan(plan).label} plan allotment for {due_at:%B %Y}",
            reference=f"plan:{plan}",
            terms_at=due_at,
            now=now,
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
