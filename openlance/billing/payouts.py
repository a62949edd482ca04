"""Getting paid (SPEC §8.5, §17): pending → available, withdrawal methods, payout settings,
withdrawals ("get paid now" and scheduled) and what the gateway later says about them.

Ledger of a withdrawal (amounts in cents, keys derived from the payout's own key):
- `withdrawal`: freelancer available -amount; payouts in flight +(amount - fee); platform
  fee revenue +fee (the method's fee, METHOD_FEES).
- `payout_paid`: payouts in flight → gateway clearing (the money has left the platform).
- `payout_returned`: payouts in flight -net and platform fee revenue -fee → freelancer
  available +amount. The method fee is given back too: the freelancer received nothing,
  so there was no service to charge for.
- `payout_failed`: the same legs as a return, when the gateway refuses the payout outright.

Order of a withdrawal, so that nothing stays half-done:
1. One transaction locks the available account (inside `transfer_post`), debits it and
   records the Payout as `pending`. Money is never sent that was not first taken from the
   balance, so two withdrawals racing for one balance cannot both succeed.
2. After commit, the gateway is asked to pay out with the payout's key as its idempotency
   key. A refusal (a domain error) closes the payout as failed and gives the money back;
   an unknown outcome (PaymentGatewayUnavailable, a crash, a timeout) leaves it `pending`
   with the money parked in payouts in flight, and `payout_status_sync_due` asks again
   with the same key — the gateway answers a repeated key with its first answer, so a
   payout is never sent twice and never given back while it may have been sent.
3. `in_transit` payouts are polled until the gateway says paid (settled) or returned
   (reversed to available, with a `payout.returned` event that emails the freelancer).
"""

from __future__ import annotations

import calendar
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import QuerySet, Sum

from openlance.accounts.models import User
from openlance.billing.gateway import (
    PaymentGatewayUnavailable,
    PayoutResult,
    idempotency_key_digest,
    payment_gateway,
)
from openlance.billing.gateway import PayoutStatus as GatewayPayoutStatus
from openlance.billing.models import (
    PAYOUT_THRESHOLD_MINIMUM_CENTS,
    PAYOUT_TRANSITIONS,
    Payout,
    PayoutSchedule,
    PayoutSettings,
    PayoutStatus,
    PayoutTrigger,
    PendingEarning,
    WithdrawalMethod,
    WithdrawalMethodKind,
)
from openlance.billing.payments import PAYMENT_REFUND
from openlance.billing.services import require_freelancer
from openlance.core import clock
from openlance.core.errors import (
    Conflict,
    DomainError,
    InsufficientFunds,
    InvalidInput,
    InvalidTransition,
    NotFound,
    require_id,
)
from openlance.core.money import Money
from openlance.core.services import event_emit
from openlance.ledger.models import AccountKind, Entry, LedgerAccount, Transfer
from openlance.ledger.services import (
    account_for,
    credited_account,
    platform_account,
    transfer_post,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MethodTerms:
    fee_cents: int
    arrives: str


# SPEC §8.5: the one table of withdrawal fees, shown on the wallet page and in the API.
METHOD_FEES: dict[str, MethodTerms] = {
    WithdrawalMethodKind.ACH: MethodTerms(0, "2 to 5 business days"),
    WithdrawalMethodKind.LOCAL_BANK: MethodTerms(99, "2 to 5 business days"),
    WithdrawalMethodKind.WIRE: MethodTerms(3_000, "1 to 3 business days"),
    WithdrawalMethodKind.PAYPAL: MethodTerms(200, "1 business day"),
    WithdrawalMethodKind.INSTANT: MethodTerms(200, "Within 30 minutes"),
}
ACTIVATION_HOLD = timedelta(days=3)
HELD_TOO_LONG = timedelta(days=180)
MAX_METHODS = 10
# A provider's payout destination id (the sandbox's `ba_…`, Stripe's `ba_…`/`card_…`).
DESTINATION_TOKEN = re.compile(r"[A-Za-z]{2,8}_[A-Za-z0-9_]{1,100}")
WEDNESDAY = 2
QUARTER_ENDS = frozenset({3, 6, 9, 12})


def method_fee(kind: str) -> Money:
    return Money(METHOD_FEES[WithdrawalMethodKind(kind)].fee_cents)


def _available_account(user: User) -> LedgerAccount:
    return account_for(kind=AccountKind.FREELANCER_AVAILABLE, owner=user)


# Pending → available ------------------------------------------------------------------


def earning_release(*, earning: PendingEarning) -> PendingEarning | None:
    """Move one earning from pending to available. Safe to repeat. None when the earning
    is gone: its payment was refunded whole while it was pending."""
    with transaction.atomic():
        # The earning's row only: FOR UPDATE over the join would lock the freelancer's user
        # row too, which a concurrent release's deferred foreign keys need at its commit.
        locked = (
            PendingEarning.objects.select_for_update(of=("self",))
            .select_related("freelancer")
            .filter(pk=earning.pk)
            .first()
        )
        if locked is None:
            return None
        earning = locked
        if earning.released_at is not None:
            return earning
        freelancer = earning.freelancer
        transfer = transfer_post(
            freelancer=freelancer,
            key=f"earning:{earning.pk}:available",
            kind="earning_available",
            description=f"{earning.get_kind_display()} became available",
            legs=[
                (
                    account_for(kind=AccountKind.FREELANCER_PENDING, owner=freelancer),
                    -earning.amount_cents,
                ),
                (_available_account(freelancer), earning.amount_cents),
            ],
            metadata={
                "freelancer_id": freelancer.pk,
                "earning_id": earning.pk,
                "source_transfer_id": earning.transfer_id,
            },
        )
        earning.release_transfer = transfer
        earning.released_at = clock.now()
        earning.save(update_fields=["release_transfer", "released_at"])
    return earning


def earnings_release_run_due(*, now: datetime) -> int:
    """Every earning whose security period has ended becomes available (SPEC §17)."""
    due = PendingEarning.objects.filter(released_at__isnull=True, available_at__lte=now)
    released = 0
    for earning in due.order_by("available_at", "id").iterator():
        try:
            if earning_release(earning=earning) is None:
                continue
        except DomainError:
            # One earning the ledger refuses (its pending money was taken back meanwhile)
            # must not hold up everyone else's; it is logged and retried next run.
            logger.exception("Earning %s could not become available", earning.pk)
            continue
        released += 1
    return released


# Withdrawal methods ---------------------------------------------------------------------


def methods_of(*, user: User) -> list[WithdrawalMethod]:
    return list(WithdrawalMethod.objects.filter(user=user, removed_at__isnull=True))


def method_of(*, user: User, method_id: int) -> WithdrawalMethod:
    require_id(method_id, "withdrawal method")
    method = WithdrawalMethod.objects.filter(
        user=user, pk=method_id, removed_at__isnull=True
    ).first()
    if method is None:
        raise NotFound("No such withdrawal method.")
    return method


def withdrawal_method_add(
    *, user: User, kind: str, destination: str, last4: str, label: str = ""
) -> WithdrawalMethod:
    """Add a payout destination. It can be used 3 days from now; the first one is the default.
    `label` is how a destination without digits (a PayPal address) is shown, masked."""
    require_freelancer(user)
    errors: dict[str, list[str]] = {}
    if kind not in WithdrawalMethodKind.values:
        errors["kind"] = ["Choose one of the listed methods."]
    destination = destination.strip()
    if not DESTINATION_TOKEN.fullmatch(destination):
        errors["destination"] = ["Paste the payout destination token, like ba_1234abcd."]
    last4 = last4.strip()
    if not re.fullmatch(r"[0-9]{4}", last4) and not (label and not last4):
        errors["last4"] = ["The last 4 digits of the account or card."]
    if errors:
        raise InvalidInput("The withdrawal method is incomplete.", field_errors=errors)
    now = clock.now()
    with transaction.atomic():
        # Serialize a user's method changes so "first one is the default" holds under races.
        User.objects.select_for_update(no_key=True).filter(pk=user.pk).first()
        current = methods_of(user=user)
        if len(current) >= MAX_METHODS:
            raise Conflict(f"At most {MAX_METHODS} withdrawal methods; remove one first.")
        if any(m.destination == destination for m in current):
            raise InvalidInput(
                "This destination is already one of your methods.",
                field_errors={"destination": ["Already added."]},
            )
        return WithdrawalMethod.objects.create(
            user=user,
            kind=kind,
            destination=destination,
            last4=last4,
            label=label[:80],
            is_default=not current,
            usable_from=now + ACTIVATION_HOLD,
            created_at=now,
        )


def withdrawal_method_enter(*, user: User, kind: str, details: dict[str, str]) -> WithdrawalMethod:
    """Add a method from the account details its owner typed: the gateway keeps them and
    answers with the destination token; only the token and the last digits stay here."""
    require_freelancer(user)
    if kind not in WithdrawalMethodKind.values:
        raise InvalidInput(
            "Choose one of the listed methods.", field_errors={"kind": ["Choose a method."]}
        )
    destination = payment_gateway().payout_destination_create(
        kind=kind, details=details, owner=f"user:{user.pk}"
    )
    return withdrawal_method_add(
        user=user,
        kind=kind,
        destination=destination.destination,
        last4=destination.last4,
        label=destination.label,
    )


def withdrawal_method_make_default(*, user: User, method_id: int) -> WithdrawalMethod:
    with transaction.atomic():
        User.objects.select_for_update(no_key=True).filter(pk=user.pk).first()
        method = method_of(user=user, method_id=method_id)
        if not method.is_default:
            WithdrawalMethod.objects.filter(user=user, is_default=True).update(is_default=False)
            method.is_default = True
            method.save(update_fields=["is_default"])
    return method


def withdrawal_method_remove(*, user: User, method_id: int) -> None:
    """Hide a method. If it was the default, the oldest remaining one takes over."""
    with transaction.atomic():
        User.objects.select_for_update(no_key=True).filter(pk=user.pk).first()
        method = method_of(user=user, method_id=method_id)
        method.removed_at = clock.now()
        method.is_default = False
        method.save(update_fields=["removed_at", "is_default"])
        if not WithdrawalMethod.objects.filter(
            user=user, is_default=True, removed_at__isnull=True
        ).exists():
            successor = WithdrawalMethod.objects.filter(user=user, removed_at__isnull=True).first()
            if successor is not None:
                successor.is_default = True
                successor.save(update_fields=["is_default"])


# Payout settings and schedules ------------------------------------------------------------


def payout_settings_of(*, user: User) -> PayoutSettings:
    """The user's settings; unsaved defaults (quarterly, $100) until they change them."""
    settings = PayoutSettings.objects.filter(user=user).first()
    return settings or PayoutSettings(user=user, updated_at=clock.now())


def payout_settings_update(*, user: User, schedule: str, threshold: Money) -> PayoutSettings:
    require_freelancer(user)
    errors: dict[str, list[str]] = {}
    if schedule not in PayoutSchedule.values:
        errors["schedule"] = ["Choose one of the listed schedules."]
    if threshold.currency != "USD" or threshold.cents < PAYOUT_THRESHOLD_MINIMUM_CENTS:
        errors["threshold"] = [f"At least {Money(PAYOUT_THRESHOLD_MINIMUM_CENTS)}."]
    elif threshold.cents > 100_000_000:
        errors["threshold"] = ["At most $1,000,000.00."]
    if errors:
        raise InvalidInput("The payout settings are not valid.", field_errors=errors)
    settings, _ = PayoutSettings.objects.update_or_create(
        user=user,
        defaults={
            "schedule": schedule,
            "threshold_cents": threshold.cents,
            "updated_at": clock.now(),
        },
    )
    return settings


def _last_wednesday(day: date) -> int:
    last = calendar.monthrange(day.year, day.month)[1]
    return last - (date(day.year, day.month, last).weekday() - WEDNESDAY) % 7


def is_schedule_day(schedule: str, day: date) -> bool:
    """Weekly: every Wednesday. Twice a month: the 1st and 3rd Wednesday (days 1-7 and
    15-21). Monthly: the last Wednesday. Quarterly: the last Wednesday of March, June,
    September and December."""
    if day.weekday() != WEDNESDAY:
        return False
    if schedule == PayoutSchedule.WEEKLY:
        return True
    if schedule == PayoutSchedule.TWICE_MONTHLY:
        return day.day <= 7 or 15 <= day.day <= 21
    if schedule == PayoutSchedule.MONTHLY:
        return day.day == _last_wednesday(day)
    if schedule == PayoutSchedule.QUARTERLY:
        return day.month in QUARTER_ENDS and day.day == _last_wednesday(day)
    raise ValueError(f"Unknown payout schedule {schedule!r}")


def next_schedule_day(schedule: str, after: date) -> date:
    day = after + timedelta(days=1)
    while not is_schedule_day(schedule, day):
        day += timedelta(days=1)
    return day


def available_held_since(*, user: User) -> datetime | None:
    """When the oldest money still in the available balance became available, counting
    withdrawals, and refunds taken from available money, against the oldest earnings first;
    None when nothing is left of them."""
    withdrawn = (
        Payout.objects.filter(user=user)
        .exclude(status__in=[PayoutStatus.RETURNED, PayoutStatus.FAILED])
        .aggregate(total=Sum("amount_cents"))["total"]
        or 0
    )
    refunded = (
        Entry.objects.filter(
            account__owner=user,
            account__kind=AccountKind.FREELANCER_AVAILABLE,
            transfer__kind=PAYMENT_REFUND,
        ).aggregate(total=Sum("amount_cents"))["total"]
        or 0
    )
    withdrawn -= refunded  # refund entries take from available: negative amounts
    released = 0
    earnings = PendingEarning.objects.filter(freelancer=user, released_at__isnull=False)
    for amount, released_at in earnings.order_by("released_at", "id").values_list(
        "amount_cents", "released_at"
    ):
        released += amount
        if released > withdrawn:
            return released_at
    return None


# Withdrawals ------------------------------------------------------------------------------


def _require_usable(method: WithdrawalMethod, now: datetime) -> None:
    if method.usable_from > now:
        raise InvalidInput(
            f"This method can be used from {method.usable_from:%b %-d, %Y %H:%M} UTC "
            "(new methods wait 3 days).",
            field_errors={"method_id": ["Not active yet."]},
        )


def _book_withdrawal(
    *, user: User, method: WithdrawalMethod, amount: Money, key: str, trigger: str
) -> Payout:
    existing = Payout.objects.filter(key=key).first()
    if existing is not None:
        if existing.user_id != user.pk or existing.amount_cents != amount.cents:
            raise Conflict("This idempotency key was already used for another withdrawal.")
        return existing
    fee = method_fee(method.kind)
    if fee >= amount:
        raise InvalidInput(
            f"The {method.get_kind_display()} fee is {fee}; withdraw more than that.",
            field_errors={"amount": [f"More than {fee}."]},
        )
    net = amount - fee
    legs = [
        (_available_account(user), -amount.cents),
        (platform_account(AccountKind.PAYOUTS_IN_FLIGHT, spread=user.pk), net.cents),
    ]
    if fee.cents:
        legs.append((platform_account(AccountKind.PLATFORM_FEE_REVENUE, spread=user.pk), fee.cents))
    with transaction.atomic():
        transfer = transfer_post(
            freelancer=user,
            key=f"{key}:withdraw",
            kind="withdrawal",
            description=f"Withdrawal to {method}",
            legs=legs,
            metadata={
                "freelancer_id": user.pk,
                "method_id": method.pk,
                "method_kind": method.kind,
                "amount_cents": amount.cents,
                "fee_cents": fee.cents,
                "net_cents": net.cents,
            },
        )
        try:
            with transaction.atomic():
                return Payout.objects.create(
                    user=user,
                    method=method,
                    key=key,
                    trigger=trigger,
                    amount_cents=amount.cents,
                    fee_cents=fee.cents,
                    withdrawal_transfer=transfer,
                    created_at=clock.now(),
                )
        except IntegrityError:
            # A concurrent replay of the same key booked it first; transfer_post gave us
            # that same transfer, so its payout is this one.
            return Payout.objects.get(key=key)


def withdrawal_create(
    *, user: User, amount: Money, key: str, method_id: int | None = None
) -> Payout:
    """ "Get paid now": withdraw `amount` (at most the available balance, more than the
    method's fee) to `method_id` or the default method. A repeated `key` returns the first
    payout."""
    require_freelancer(user)
    if amount.currency != "USD" or amount.cents <= 0:
        raise InvalidInput(
            "Enter a positive USD amount.", field_errors={"amount": ["More than $0.00."]}
        )
    payout_key = f"payout:{user.pk}:{idempotency_key_digest(key)}"
    replay = Payout.objects.filter(key=payout_key).first()
    if replay is None:
        now = clock.now()
        if method_id is None:
            method = WithdrawalMethod.objects.filter(
                user=user, is_default=True, removed_at__isnull=True
            ).first()
            if method is None:
                raise InvalidInput(
                    "Add a withdrawal method first.",
                    field_errors={"method_id": ["No withdrawal method."]},
                )
        else:
            method = method_of(user=user, method_id=method_id)
        _require_usable(method, now)
        try:
            replay = _book_withdrawal(
                user=user,
                method=method,
                amount=amount,
                key=payout_key,
                trigger=PayoutTrigger.MANUAL,
            )
        except InsufficientFunds:
            available = Money(_available_account(user).balance_cents)
            raise InsufficientFunds(
                f"You have {available} available.",
                field_errors={"amount": [f"At most {available}."]},
            ) from None
    elif replay.amount_cents != amount.cents:
        raise Conflict("This idempotency key was already used for another withdrawal.")
    return payout_send(payout=replay)


def _move(payout: Payout, to: str) -> None:
    if to not in PAYOUT_TRANSITIONS[payout.status]:
        raise InvalidTransition(
            f"A {payout.get_status_display().lower()} payout cannot become {to}."
        )
    payout.status = to


def _give_back(payout: Payout, *, kind: str, why: str) -> Transfer:
    """Undo the withdrawal, from the platform accounts it paid into."""
    withdrawal = payout.withdrawal_transfer
    legs = [
        (credited_account(withdrawal, AccountKind.PAYOUTS_IN_FLIGHT), -payout.net_cents),
        (_available_account(payout.user), payout.amount_cents),
    ]
    if payout.fee_cents:
        legs.append(
            (credited_account(withdrawal, AccountKind.PLATFORM_FEE_REVENUE), -payout.fee_cents)
        )
    return transfer_post(
        freelancer=payout.user,
        key=f"{payout.key}:{kind.removeprefix('payout_')}",
        kind=kind,
        description=f"Payout of {Money(payout.amount_cents)} {why}: back to available",
        legs=legs,
        metadata={
            "freelancer_id": payout.user_id,
            "payout_id": payout.pk,
            "amount_cents": payout.amount_cents,
            "fee_cents": payout.fee_cents,
            "net_cents": payout.net_cents,
        },
    )


def _apply(payout_id: int, result: PayoutResult | None, refusal: str = "") -> Payout:
    """Record what the gateway said, at most once per state change."""
    with transaction.atomic():
        payout = (
            Payout.objects.select_for_update(of=("self",))
            .select_related("user", "method")
            .get(pk=payout_id)
        )
        now = clock.now()
        if result is None:
            if payout.status != PayoutStatus.PENDING:
                return payout
            _move(payout, PayoutStatus.FAILED)
            payout.failure_reason = refusal[:120]
            payout.closing_transfer = _give_back(payout, kind="payout_failed", why="failed")
            payout.closed_at = now
            payout.save()
            event_emit(kind="payout.failed", payload={"payout_id": payout.pk})
            return payout
        if result.reference and not payout.gateway_reference:
            payout.gateway_reference = result.reference
        target = {
            GatewayPayoutStatus.IN_TRANSIT: PayoutStatus.IN_TRANSIT,
            GatewayPayoutStatus.PAID: PayoutStatus.PAID,
            GatewayPayoutStatus.RETURNED: PayoutStatus.RETURNED,
        }[result.status]
        if target == payout.status or target not in PAYOUT_TRANSITIONS[payout.status]:
            payout.save(update_fields=["gateway_reference"])
            return payout
        was_pending = payout.status == PayoutStatus.PENDING
        _move(payout, target)
        if was_pending:
            payout.sent_at = now
        if target == PayoutStatus.PAID:
            payout.closing_transfer = transfer_post(
                freelancer=payout.user,
                key=f"{payout.key}:paid",
                kind="payout_paid",
                description=f"Payout to {payout.method} paid",
                legs=[
                    (
                        credited_account(payout.withdrawal_transfer, AccountKind.PAYOUTS_IN_FLIGHT),
                        -payout.net_cents,
                    ),
                    (
                        platform_account(AccountKind.GATEWAY_CLEARING, spread=payout.user_id),
                        payout.net_cents,
                    ),
                ],
                metadata={"freelancer_id": payout.user_id, "payout_id": payout.pk},
            )
            payout.closed_at = now
        elif target == PayoutStatus.RETURNED:
            payout.failure_reason = result.return_reason[:120]
            payout.closing_transfer = _give_back(payout, kind="payout_returned", why="returned")
            payout.closed_at = now
            event_emit(
                kind="payout.returned",
                payload={"payout_id": payout.pk, "reason": payout.failure_reason},
            )
        if was_pending and target != PayoutStatus.RETURNED:
            event_emit(kind="payout.sent", payload={"payout_id": payout.pk})
        payout.save()
    return payout


def payout_send(*, payout: Payout) -> Payout:
    """Ask the gateway to send a booked payout (again: the key makes a repeat harmless)."""
    if payout.status != PayoutStatus.PENDING:
        return payout
    method = payout.method
    try:
        result = payment_gateway().payout(
            amount=Money(payout.net_cents),
            destination=method.destination,
            idempotency_key=payout.key,
        )
    except PaymentGatewayUnavailable:
        # The outcome is unknown (the money may have left): never give it back here. The
        # payout stays pending and the sync task asks again with the same key.
        logger.warning("Payout %s: gateway unavailable, will retry", payout.pk)
        return Payout.objects.get(pk=payout.pk)
    except DomainError as refusal:
        return _apply(payout.pk, None, refusal=refusal.detail)
    except Exception:
        logger.exception("Payout %s could not reach the gateway", payout.pk)
        return Payout.objects.get(pk=payout.pk)
    return _apply(payout.pk, result)


def payout_sync(*, payout: Payout) -> Payout:
    """Bring one open payout up to date with the gateway."""
    if payout.status == PayoutStatus.PENDING:
        return payout_send(payout=payout)
    if payout.status != PayoutStatus.IN_TRANSIT:
        return payout
    try:
        result = payment_gateway().payout_status(reference=payout.gateway_reference)
    except Exception:
        logger.exception("Payout %s status could not be read", payout.pk)
        return payout
    return _apply(payout.pk, result)


def payout_status_sync_due(*, now: datetime) -> dict[str, int]:
    """Resend pending payouts and settle or reverse those the gateway has finished."""
    counts = {"checked": 0, "paid": 0, "returned": 0, "failed": 0}
    open_payouts = Payout.objects.filter(
        status__in=[PayoutStatus.PENDING, PayoutStatus.IN_TRANSIT], created_at__lte=now
    ).select_related("method", "user")
    for payout in open_payouts.order_by("id"):
        counts["checked"] += 1
        try:
            status = payout_sync(payout=payout).status
        except Exception:
            # One payout whose answer cannot be recorded must not hold up everyone else's;
            # it stays open and is looked at again next run.
            logger.exception("Payout %s could not be brought up to date", payout.pk)
            continue
        if status in counts:
            counts[status] += 1
    return counts


def _scheduled_key(user: User, day: date) -> str:
    return f"scheduled:{user.pk}:{day.isoformat()}"


def scheduled_withdrawal_for(*, user: User, day: date) -> Payout | None:
    """The automatic withdrawal of `user` on `day`, when one is due: it is a schedule day,
    the default method is usable, and the balance reaches the threshold — or the oldest of
    it has been held more than 180 days. One per user and date, however often it runs."""
    now = clock.now()
    settings = payout_settings_of(user=user)
    if not is_schedule_day(settings.schedule, day):
        return None
    key = _scheduled_key(user, day)
    existing = Payout.objects.filter(key=key).first()
    if existing is not None:
        return existing
    method = WithdrawalMethod.objects.filter(
        user=user, is_default=True, removed_at__isnull=True, usable_from__lte=now
    ).first()
    if method is None:
        return None
    available = Money(_available_account(user).balance_cents)
    if available.cents <= METHOD_FEES[WithdrawalMethodKind(method.kind)].fee_cents:
        return None
    held_since = available_held_since(user=user)
    held_too_long = held_since is not None and now - held_since > HELD_TOO_LONG
    if available.cents < settings.threshold_cents and not held_too_long:
        return None
    try:
        payout = _book_withdrawal(
            user=user, method=method, amount=available, key=key, trigger=PayoutTrigger.SCHEDULED
        )
    except InsufficientFunds:
        # A "get paid now" took the money between the read and the booking.
        return None
    return payout_send(payout=payout)


def scheduled_withdrawals_run_due(*, now: datetime) -> int:
    """Run every freelancer's scheduled withdrawal for today (UTC); safe to run often."""
    day = now.date()
    owners = (
        LedgerAccount.objects.filter(
            kind=AccountKind.FREELANCER_AVAILABLE, balance_cents__gt=0, owner__isnull=False
        )
        .values_list("owner_id", flat=True)
        .order_by("owner_id")
    )
    made = 0
    for user in User.objects.filter(pk__in=list(owners)).order_by("pk"):
        if Payout.objects.filter(key=_scheduled_key(user, day)).exists():
            continue
        try:
            payout = scheduled_withdrawal_for(user=user, day=day)
        except Exception:
            # Refused or broken, one freelancer's withdrawal must not stop the others'.
            logger.exception("Scheduled withdrawal of user %s failed", user.pk)
            continue
        if payout is not None:
            made += 1
    return made


def payouts_of(*, user: User) -> QuerySet[Payout]:
    return Payout.objects.filter(user=user).select_related("method")


def payout_of(*, user: User, payout_id: int) -> Payout:
    require_id(payout_id, "payout")
    payout = payouts_of(user=user).filter(pk=payout_id).first()
    if payout is None:
        raise NotFound("No such payout.")
    return payout
