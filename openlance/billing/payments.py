"""The one way a freelancer is paid for work, and its reverse.

`payment_for_work` prices the service fee from the relationship's lifetime billings (SPEC
§8.2), posts the transfer (the source account → freelancer pending + platform fee revenue),
updates the relationship, holds the net as a pending earning (SPEC §8.5) and emits
`payment.made`. Milestone releases call it; hourly invoices and bonuses will too.
`payment_refund` gives part of a payment back to the client with the fee returned
proportionally, so the relationship's billings and the freelancer's net stay exact.

Both run inside the caller's transaction, after the caller has locked what it pays from
(a milestone, an invoice), and lock the relationship row next: that row serializes fee
pricing for the pair, so two payments never price from the same base.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction

from openlance.accounts.models import User
from openlance.billing.earnings import earning_hold
from openlance.billing.fees import freelancer_fee
from openlance.billing.models import EarningKind, Payment, PaymentKind, PendingEarning, Relationship
from openlance.core import clock
from openlance.core.errors import IdempotencyConflict, InsufficientFunds, InvalidInput
from openlance.core.money import Money, round_half_up_div
from openlance.core.policies import FreelancerFeeSchedule
from openlance.core.services import event_emit
from openlance.ledger.models import AccountKind, LedgerAccount, Transfer
from openlance.ledger.services import (
    account_for,
    accounts_lock,
    credited_account,
    platform_account,
    transfer_post,
)

PAYMENT_EARNING_KINDS = {
    PaymentKind.MILESTONE_RELEASE: EarningKind.MILESTONE,
    PaymentKind.HOURLY_INVOICE: EarningKind.HOURLY,
    PaymentKind.BONUS: EarningKind.BONUS,
}
PAYMENT_REFUND = "payment_refund"
# A refund a dispute decides: the freelancer's part is held, then released (and refunded).
PAYMENT_REFUND_HOLD = "refund_hold"
PAYMENT_REFUND_HOLD_RELEASE = "refund_hold_release"


def _require_transaction(service: str) -> None:
    if not connection.in_atomic_block:
        raise RuntimeError(f"{service} must run inside the caller's transaction")


def relationship_locked(*, freelancer: User, client: User) -> Relationship:
    """The pair's relationship row, opened on first use, locked until the transaction ends."""
    _require_transaction("relationship_locked")
    relationship = Relationship.objects.filter(freelancer=freelancer, client=client).first()
    if relationship is None:
        try:
            with transaction.atomic():
                relationship = Relationship.objects.create(
                    freelancer=freelancer, client=client, created_at=clock.now()
                )
        except IntegrityError:
            pass  # opened by a concurrent first payment; the lock below waits for it
    return Relationship.objects.select_for_update().get(freelancer=freelancer, client=client)


def payment_for_work(
    *,
    kind: PaymentKind | str,
    key: str,
    freelancer: User,
    client: User,
    gross: Money,
    source: LedgerAccount,
    schedule: FreelancerFeeSchedule,
    description: str,
    metadata: dict[str, Any] | None = None,
    available_at: datetime | None = None,
) -> Payment:
    """Pay `gross` from `source` to the freelancer, less the service fee on the billings
    with this client so far. At most once per `key`: a repeat returns the first payment.
    The net is pending until `available_at` (hourly: the Wednesday after the review), by
    default until the security period is over."""
    _require_transaction("payment_for_work")
    kind = PaymentKind(kind)
    if gross.cents <= 0:
        raise InvalidInput("A payment is more than $0.00.")
    relationship = relationship_locked(freelancer=freelancer, client=client)
    existing = Payment.objects.filter(transfer__idempotency_key=key).first()
    if existing is not None:
        if (existing.relationship_id, existing.kind, existing.gross_cents) != (
            relationship.pk,
            kind,
            gross.cents,
        ):
            raise IdempotencyConflict(f"Payment key {key!r} was already used for another payment.")
        return existing
    billed_before = relationship.gross_cents
    fee = freelancer_fee(schedule, amount_cents=gross.cents, billed_before_cents=billed_before)
    pending = account_for(kind=AccountKind.FREELANCER_PENDING, owner=freelancer)
    legs = [(source, -gross.cents)]
    if fee.net_cents:
        legs.append((pending, fee.net_cents))
    if fee.fee_cents:
        legs.append(
            (platform_account(AccountKind.PLATFORM_FEE_REVENUE, spread=client.pk), fee.fee_cents)
        )
    tiers = [
        {
            "lower_cents": tier.lower_cents,
            "upper_cents": tier.upper_cents,
            "rate_bp": tier.rate_bp,
            "amount_cents": tier.amount_cents,
            "fee_cents": tier.fee_cents,
        }
        for tier in fee.tiers
    ]
    transfer = transfer_post(
        key=key,
        kind=kind,
        description=description,
        legs=legs,
        metadata={
            "gross_cents": gross.cents,
            "fee_cents": fee.fee_cents,
            "net_cents": fee.net_cents,
            "billed_before_cents": billed_before,
            "tiers": tiers,
            **(metadata or {}),
        },
        client=client,
        freelancer=freelancer,
    )
    now = clock.now()
    payment = Payment.objects.create(
        transfer=transfer,
        relationship=relationship,
        kind=kind,
        gross_cents=gross.cents,
        fee_cents=fee.fee_cents,
        net_cents=fee.net_cents,
        billed_before_cents=billed_before,
        tiers=tiers,
        created_at=now,
    )
    relationship.gross_cents += gross.cents
    relationship.fee_cents += fee.fee_cents
    relationship.net_cents += fee.net_cents
    relationship.payments += 1
    relationship.first_paid_at = relationship.first_paid_at or now
    relationship.last_paid_at = now
    relationship.save(
        update_fields=[
            "gross_cents",
            "fee_cents",
            "net_cents",
            "payments",
            "first_paid_at",
            "last_paid_at",
        ]
    )
    if fee.net_cents:
        earning_hold(
            freelancer=freelancer,
            kind=PAYMENT_EARNING_KINDS[kind],
            amount=Money(fee.net_cents),
            transfer=transfer,
            available_at=available_at,
        )
    event_emit(
        kind="payment.made",
        payload={
            "payment_id": payment.pk,
            "kind": kind,
            "freelancer_id": freelancer.pk,
            "client_id": client.pk,
            "gross_cents": gross.cents,
        },
    )
    return payment


def _require_refundable(payment: Payment, amount: Money) -> None:
    left = payment.gross_cents - payment.refunded_cents
    if not 0 < amount.cents <= left:
        raise InvalidInput(
            f"Refund between $0.01 and {Money(left)}.",
            field_errors={"amount": [f"At most {Money(left)} of this payment is left."]},
        )


def _refund_split(payment: Payment, cents: int) -> tuple[int, int]:
    """(service fee back, freelancer's part) of refunding `cents` more of the payment; the
    fee comes back cumulatively, so the parts of several refunds add up to the whole fee."""
    refunded_after = payment.refunded_cents + cents
    fee_back = (
        round_half_up_div(payment.fee_cents * refunded_after, payment.gross_cents)
        - payment.refunded_fee_cents
    )
    return fee_back, cents - fee_back


def payment_refund(*, payment: Payment, amount: Money, key: str, reason: str) -> Transfer:
    """Give `amount` of a payment back to the client's balance. The service fee on the
    refunded part goes back from the platform in proportion (cumulatively, so several
    partial refunds return exactly the whole fee with the whole payment); the rest is taken
    from the freelancer's available money, then from this payment's own pending earning.
    At most once per `key`; refused whole (nothing moves) when the freelancer's money does
    not cover it."""
    _require_transaction("payment_refund")
    relationship = payment.relationship
    relationship = relationship_locked(
        freelancer=relationship.freelancer, client=relationship.client
    )
    replay = Transfer.objects.filter(idempotency_key=key).first()
    if replay is not None:
        if replay.kind != PAYMENT_REFUND or (
            replay.metadata.get("payment_id"),
            replay.metadata.get("amount_cents"),
        ) != (payment.pk, amount.cents):
            raise IdempotencyConflict(f"Refund key {key!r} was already used for another transfer.")
        return replay
    payment = (
        Payment.objects.select_for_update(of=("self",))
        .select_related("transfer")
        .get(pk=payment.pk)
    )
    _require_refundable(payment, amount)
    refunded_after = payment.refunded_cents + amount.cents
    fee_back, net_back = _refund_split(payment, amount.cents)
    freelancer = relationship.freelancer
    # The split between available and pending money is decided on balances read under
    # their locks: a withdrawal committing in between would otherwise make a refund the
    # freelancer can cover look uncovered. The payment's earning first, then the accounts
    # in id order: the order the release of earnings takes them.
    earning = (
        PendingEarning.objects.select_for_update()
        .filter(transfer=payment.transfer, released_at__isnull=True)
        .first()
    )
    client_funding = account_for(kind=AccountKind.CLIENT_FUNDING, owner=relationship.client)
    available = account_for(kind=AccountKind.FREELANCER_AVAILABLE, owner=freelancer)
    pending = account_for(kind=AccountKind.FREELANCER_PENDING, owner=freelancer)
    revenue = (
        credited_account(payment.transfer, AccountKind.PLATFORM_FEE_REVENUE)
        if payment.fee_cents
        else None
    )
    accounts_lock([client_funding, available, pending, *([revenue] if revenue else [])])
    available.refresh_from_db(fields=["balance_cents"])
    taken = _freelancer_take(available, pending, earning, net_back)
    if taken is None:
        raise InsufficientFunds(
            f"The freelancer holds too little to refund {Money(amount.cents)} of this payment."
        )
    freelancer_legs, from_pending = taken
    legs: list[tuple[LedgerAccount, int]] = [(client_funding, amount.cents), *freelancer_legs]
    if fee_back:
        assert revenue is not None  # a fee to give back was charged
        legs.append((revenue, -fee_back))
    transfer = transfer_post(
        key=key,
        kind=PAYMENT_REFUND,
        description=f"Refund of {Money(amount.cents)}: {reason}"[:255],
        legs=legs,
        metadata={
            "payment_id": payment.pk,
            "amount_cents": amount.cents,
            "fee_back_cents": fee_back,
            "net_back_cents": net_back,
            "reason": reason,
        },
        client=relationship.client,
        freelancer=freelancer,
    )
    _earning_shrink(earning, from_pending)
    payment.refunded_cents = refunded_after
    payment.refunded_fee_cents += fee_back
    payment.save(update_fields=["refunded_cents", "refunded_fee_cents"])
    relationship.gross_cents -= amount.cents
    relationship.fee_cents -= fee_back
    relationship.net_cents -= net_back
    relationship.save(update_fields=["gross_cents", "fee_cents", "net_cents"])
    event_emit(
        kind="payment.refunded",
        payload={
            "payment_id": payment.pk,
            "freelancer_id": freelancer.pk,
            "client_id": relationship.client_id,
            "amount_cents": amount.cents,
        },
    )
    return transfer


def _freelancer_take(
    available: LedgerAccount,
    pending: LedgerAccount,
    earning: PendingEarning | None,
    cents: int,
) -> tuple[list[tuple[LedgerAccount, int]], int] | None:
    """The legs taking `cents` of a payment back from its freelancer, from their available
    money (its balance read under its lock) and then from the payment's own pending
    earning, with the part taken from that earning; None when the two do not cover it."""
    from_available = min(cents, max(0, available.balance_cents))
    from_pending = cents - from_available
    if from_pending and (earning is None or earning.amount_cents < from_pending):
        return None
    legs = [(available, -from_available)] if from_available else []
    return legs + ([(pending, -from_pending)] if from_pending else []), from_pending


def _earning_shrink(earning: PendingEarning | None, cents: int) -> None:
    """The pending earning after `cents` of it were taken back (gone when nothing is left)."""
    if earning is None or not cents:
        return
    earning.amount_cents -= cents
    if earning.amount_cents:
        earning.save(update_fields=["amount_cents"])
    else:
        earning.delete()


def _held_refund_account(reference: str) -> LedgerAccount:
    return account_for(kind=AccountKind.CONTRACT_ESCROW, reference=reference)


def payment_refund_hold(
    *, payment: Payment, amount: Money, key: str, reference: str
) -> tuple[Money, Transfer]:
    """Hold the freelancer's part of a refund of up to `amount` of a payment while a dispute
    decides it: that part (the refund less the service fee that would come back) moves from
    their available money, then from this payment's pending earning, to the escrow account
    `reference`. When they hold less (money already withdrawn), the refund held is the most
    their money covers. Returns that refund and the hold; once per `key`; refused when
    nothing is left to hold."""
    _require_transaction("payment_refund_hold")
    relationship = relationship_locked(
        freelancer=payment.relationship.freelancer, client=payment.relationship.client
    )
    replay = Transfer.objects.filter(idempotency_key=key).first()
    if replay is not None:
        if replay.kind != PAYMENT_REFUND_HOLD or replay.metadata.get("payment_id") != payment.pk:
            raise IdempotencyConflict(f"Hold key {key!r} was already used for another transfer.")
        return Money(int(replay.metadata["amount_cents"])), replay
    payment = Payment.objects.select_for_update(of=("self",)).get(pk=payment.pk)
    _require_refundable(payment, amount)
    freelancer = relationship.freelancer
    earning = (
        PendingEarning.objects.select_for_update()
        .filter(transfer=payment.transfer_id, released_at__isnull=True)
        .first()
    )
    available = account_for(kind=AccountKind.FREELANCER_AVAILABLE, owner=freelancer)
    pending = account_for(kind=AccountKind.FREELANCER_PENDING, owner=freelancer)
    hold = _held_refund_account(reference)
    accounts_lock([available, pending, hold])
    available.refresh_from_db(fields=["balance_cents"])
    on_hand = max(0, available.balance_cents) + (earning.amount_cents if earning else 0)
    covered = _most_refund_covered(payment, amount.cents, on_hand)
    net = _refund_split(payment, covered)[1]
    if net <= 0:
        raise InsufficientFunds(
            "Nothing of this payment is left with the freelancer on Openlance: it was withdrawn."
        )
    taken = _freelancer_take(available, pending, earning, net)
    assert taken is not None  # `covered` is what the freelancer holds at most
    freelancer_legs, from_pending = taken
    # What came from pending goes back there if its security period is not over when the
    # hold ends (SPEC §8.5): the hold remembers how much, and the earning it came from.
    still_pending = (
        {
            "from_pending_cents": from_pending,
            "earning_kind": earning.kind,
            "available_at": earning.available_at.isoformat(),
        }
        if earning is not None and from_pending
        else {}
    )
    transfer = transfer_post(
        key=key,
        kind=PAYMENT_REFUND_HOLD,
        description=f"Held while a dispute decides a refund of {Money(covered)}"[:255],
        legs=[(hold, net), *freelancer_legs],
        metadata={
            "payment_id": payment.pk,
            "amount_cents": covered,
            "net_cents": net,
            **still_pending,
        },
        client=relationship.client,
        freelancer=freelancer,
    )
    _earning_shrink(earning, from_pending)
    return Money(covered), transfer


def _most_refund_covered(payment: Payment, wanted: int, on_hand: int) -> int:
    """The largest refund up to `wanted` cents whose freelancer's part is at most `on_hand`
    (that part grows with the refund, so a binary search finds it)."""
    if _refund_split(payment, wanted)[1] <= on_hand:
        return wanted
    low, high = 0, wanted
    while low < high:
        middle = (low + high + 1) // 2
        if _refund_split(payment, middle)[1] <= on_hand:
            low = middle
        else:
            high = middle - 1
    return low


def payment_refund_hold_release(*, payment: Payment, key: str, reference: str) -> None:
    """End a hold: what was held goes back to the freelancer: to pending what the hold took
    from an earning whose security period is not over yet, the rest to available (a refund
    the dispute decided is then made as any refund, in the caller's transaction). Once per
    `key`."""
    _require_transaction("payment_refund_hold_release")
    relationship = relationship_locked(
        freelancer=payment.relationship.freelancer, client=payment.relationship.client
    )
    if Transfer.objects.filter(idempotency_key=key).exists():
        return
    # The order every refund takes: the payment, its earning, then the accounts.
    payment = Payment.objects.select_for_update(of=("self",)).get(pk=payment.pk)
    earning = (
        PendingEarning.objects.select_for_update()
        .filter(transfer=payment.transfer_id, released_at__isnull=True)
        .first()
    )
    hold = _held_refund_account(reference)
    available = account_for(kind=AccountKind.FREELANCER_AVAILABLE, owner=relationship.freelancer)
    pending = account_for(kind=AccountKind.FREELANCER_PENDING, owner=relationship.freelancer)
    # Every account the refund that follows touches too, all at once in id order: taking
    # the fee account after these could wait in a cycle with another payment's refund.
    accounts_lock(
        [
            account_for(kind=AccountKind.CLIENT_FUNDING, owner=relationship.client),
            available,
            pending,
            *(
                [credited_account(payment.transfer, AccountKind.PLATFORM_FEE_REVENUE)]
                if payment.fee_cents
                else []
            ),
            hold,
        ]
    )
    hold.refresh_from_db(fields=["balance_cents"])
    if not hold.balance_cents:
        return
    held = Transfer.objects.filter(kind=PAYMENT_REFUND_HOLD, entries__account=hold).first()
    assert held is not None  # the hold account has money only from its hold
    to_pending = _still_pending(held.metadata, hold.balance_cents)
    to_available = hold.balance_cents - to_pending
    transfer_post(
        key=key,
        kind=PAYMENT_REFUND_HOLD_RELEASE,
        description="Released from a dispute's hold",
        legs=[
            (hold, -hold.balance_cents),
            *([(available, to_available)] if to_available else []),
            *([(pending, to_pending)] if to_pending else []),
        ],
        metadata={"payment_id": payment.pk, "to_pending_cents": to_pending},
        client=relationship.client,
        freelancer=relationship.freelancer,
    )
    if to_pending:
        _earning_restore(earning, payment, held.metadata, to_pending)


def _still_pending(hold_metadata: dict[str, Any], held_cents: int) -> int:
    """How much of a hold goes back to pending: what it took from an earning whose security
    period has not ended yet."""
    from_pending = int(hold_metadata.get("from_pending_cents", 0))
    if not from_pending:
        return 0
    if datetime.fromisoformat(hold_metadata["available_at"]) <= clock.now():
        return 0
    return min(from_pending, held_cents)


def _earning_restore(
    earning: PendingEarning | None, payment: Payment, hold_metadata: dict[str, Any], cents: int
) -> None:
    """Give back to a payment's pending earning what a hold took from it (made again, with
    its own date, when the hold took all of it)."""
    if earning is not None:
        earning.amount_cents += cents
        earning.save(update_fields=["amount_cents"])
        return
    earning_hold(
        freelancer=payment.relationship.freelancer,
        kind=hold_metadata["earning_kind"],
        amount=Money(cents),
        transfer=payment.transfer,
        available_at=datetime.fromisoformat(hold_metadata["available_at"]),
    )
