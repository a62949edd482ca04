"""Money coming in by card: deposits into a client's balance, and the card charges every
flow that takes a card goes through (`card_charge`).

A card charge is recorded (`CardCharge`, state `sent`) and committed before the gateway is
called, then marked `booked` in the transaction that books its money, or `declined`. A
process that dies in between leaves the record in `sent`: the next payment for the same
subject settles it first (`card_charges_settle`), and `card_charges_reconcile_run_due`
settles the rest, by replaying the call with the charge's own key, card, amount and
description, so the gateway answers with the first result (or makes the charge the client
asked for, if the first call never reached it). Money taken is booked once, by its purpose's
booker, under `charge:<gateway reference>`; `ledger_check` reports a charge left in `sent`
past the replay window (`billing.checks`).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Protocol

from django.db import IntegrityError, transaction
from django.db.models import Count, Sum

from openlance.accounts.models import User
from openlance.accounts.services import audit_record
from openlance.billing.cards import card_reference_check
from openlance.billing.claims import CLAIM_TIMEOUT
from openlance.billing.gateway import (
    ChargeResult,
    ChargeStatus,
    PaymentGateway,
    PaymentGatewayUnavailable,
    idempotency_key_digest,
    payment_gateway,
)
from openlance.billing.models import (
    CARD_CHARGE_TRANSITIONS,
    CardCharge,
    CardChargePurpose,
    CardChargeState,
)
from openlance.core import clock
from openlance.core.errors import (
    Conflict,
    DomainError,
    IdempotencyConflict,
    InvalidInput,
    InvalidTransition,
    PaymentDeclined,
)
from openlance.core.money import Money
from openlance.core.services import event_emit
from openlance.ledger.models import AccountKind, LedgerAccount, Transfer
from openlance.ledger.services import (
    account_for,
    accounts_lock,
    platform_account,
    transfer_post,
)

logger = logging.getLogger(__name__)

# The kind of transfer that books a successful card charge into a client's funding balance,
# whether the client added funds or funded a milestone by card.
CARD_DEPOSIT = "deposit"
DEPOSIT_MINIMUM = Money(500)
DEPOSIT_MAXIMUM = Money(5_000_000)

# A charge still in `sent` is replayed only this long after it was recorded: Stripe forgets
# an idempotency key after 24 hours, and a replay after that would be a new charge. An
# older one is money perhaps taken and not booked: `ledger_check` (`billing.checks`) reports
# it, and it is left to an operator (`card_charges_reconcile --book/--not-charged`).
CARD_CHARGE_REPLAY_WINDOW = timedelta(hours=23)
# The longest gateway reference a charge keeps (`CardCharge.gateway_reference`).
MAX_GATEWAY_REFERENCE_LENGTH = 64
MAX_PAYMENT_METHOD_LENGTH = 120


def require_freelancer(user: User) -> None:
    if not user.is_freelancer:
        raise InvalidInput("This is for freelancers; switch on the freelancer role first.")


def funds_deposit(*, user: User, amount: Money, payment_method: str, key: str) -> Transfer:
    """A client adds money to their balance with a card, through the gateway.

    The charge is recorded under `key` before the gateway is called, and the gateway call
    and the booking share it: a retry finds the first charge and books it once, and a charge
    whose request died unanswered is booked by the reconcile rule. A declined card books
    nothing.
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
    digest = idempotency_key_digest(key)
    try:
        charge = card_charge(
            user=user,
            amount=amount,
            payment_method=payment_method,
            key=f"deposit:{user.pk}:{digest}",
            subject=f"deposit:{user.pk}",
            purpose=CardChargePurpose.DEPOSIT,
            description=f"Openlance balance top-up for user {user.pk}",
            ledger_description=f"Added funds by card ({payment_method})",
        )
    except CardChargeConflict as conflict:
        raise InvalidInput("This idempotency key was already used for another amount.") from (
            conflict
        )
    if charge.state == CardChargeState.DECLINED:
        raise card_declined(charge)
    assert charge.transfer is not None  # booked: the constraint card_charge_state_matches_booking
    return charge.transfer


def card_deposit_accounts(user: User) -> tuple[LedgerAccount, LedgerAccount]:
    """The accounts a card deposit moves money between: the gateway's clearing, the client's
    funding balance."""
    return (
        platform_account(AccountKind.GATEWAY_CLEARING, spread=user.pk),
        account_for(kind=AccountKind.CLIENT_FUNDING, owner=user),
    )


def card_deposit_book(
    *,
    user: User,
    charge: ChargeResult,
    description: str,
    metadata: dict[str, Any] | None = None,
) -> Transfer:
    """Book a successful card charge into the client's funding balance, once per charge,
    and say so with `payment_method.charged` (a charged card verifies the client's payment
    method, SPEC §2.3)."""
    key = f"charge:{charge.reference}"
    booked = Transfer.objects.filter(idempotency_key=key).first()
    if booked is not None:
        return booked
    clearing, funding = card_deposit_accounts(user)
    with transaction.atomic():
        transfer = transfer_post(
            key=key,
            kind=CARD_DEPOSIT,
            description=description,
            legs=[(clearing, -charge.amount.cents), (funding, charge.amount.cents)],
            metadata={
                "charge": charge.reference,
                "gateway": payment_gateway().name,
                **(metadata or {}),
            },
            client=user,
        )
        event_emit(
            kind="payment_method.charged", payload={"user_id": user.pk, "transfer_id": transfer.pk}
        )
    return transfer


# --- card charges --------------------------------------------------------------------------


class CardChargeConflict(IdempotencyConflict):
    """The charge key was recorded before for another charge (amount, card, purpose)."""


class CardChargeUnsettled(PaymentGatewayUnavailable):
    """The charge under this key is still `sent` past the replay window: its outcome is
    unknown and only an operator can settle it. Callers treat it like an unanswered
    gateway: book nothing, charge nothing new under the key, ask again later."""

    status = 409
    title = "Card payment being settled"
    code = "card_charge_unsettled"


class CardChargeBooker(Protocol):
    def __call__(self, *, charge: CardCharge, result: ChargeResult) -> Transfer: ...


@cache
def card_charge_bookers() -> dict[str, CardChargeBooker]:
    """How each purpose books a successful charge: called in the transaction that marks the
    charge booked, with its row locked; must book once per gateway reference (key
    `charge:<reference>`) and return that transfer. Built on first use, since
    `billing.connects` builds on this module."""
    from openlance.billing import connects

    return {
        CardChargePurpose.DEPOSIT: card_charge_book_deposit,
        CardChargePurpose.MILESTONE: card_charge_book_deposit,
        CardChargePurpose.CONNECTS_BUNDLE: connects.connects_bundle_charge_book,
        CardChargePurpose.PLUS_START: connects.connects_plus_start_charge_book,
        CardChargePurpose.PLUS_RENEWAL: connects.connects_plus_renewal_charge_book,
    }


def card_charge_book_deposit(*, charge: CardCharge, result: ChargeResult) -> Transfer:
    """Deposits and milestone fundings book the charge into the client's balance (a
    milestone is then funded from there)."""
    return card_deposit_book(
        user=charge.user,
        charge=result,
        description=charge.ledger_description,
        metadata=charge.ledger_metadata,
    )


def card_declined(
    charge: CardCharge, *, field_errors: dict[str, list[str]] | None = None
) -> PaymentDeclined:
    return PaymentDeclined(
        f"The card was declined ({charge.decline_reason or 'declined'}). Nothing was charged.",
        field_errors=field_errors,
    )


@dataclass
class CardSpending:
    """What a payment made from a card deposit in the deposit's own booking (`card_charge`'s
    `around_booking`) spends it on: `accounts`, the ledger accounts its transfers touch
    besides the client's balance, are locked with the deposit's in one sweep in id order once
    the charge's row is locked, so the booking's transfers never wait on another event's in a
    cycle; `booked` is set when this booking booked the charge, the only case in which the
    payment is to be made."""

    accounts: list[LedgerAccount] = dataclasses.field(default_factory=list)
    booked: bool = False


# Entered in the booking's transaction before the charge's row is locked, where the caller
# locks its own rows; left after the deposit is booked, where it pays if `booked`.
SpendOnBooking = Callable[[], AbstractContextManager[CardSpending]]


def _spends_nothing() -> AbstractContextManager[CardSpending]:
    return nullcontext(CardSpending())


@contextmanager
def spend_on_booking(
    locked: Callable[[], tuple[list[LedgerAccount], Callable[[], object]]], *, what: str
) -> Iterator[CardSpending]:
    """An `around_booking` made of the caller's two steps: `locked` locks the payment's rows
    in the caller's usual order and gives the accounts its transfers touch besides the
    client's balance, and the payment to make with them locked; the payment is made once
    the charge is booked, in a savepoint. A payment refused now (a DomainError: the thing
    paid for closed meanwhile) leaves the money on the balance, where the caller's own
    payment from the balance then finds it and tells the client why."""
    accounts, pay = locked()
    spending = CardSpending(accounts=accounts)
    yield spending
    if not spending.booked:
        return
    try:
        with transaction.atomic():
            pay()
    except DomainError as refused:
        logger.info("%s: card charge booked to the balance, not spent (%s)", what, refused.code)


def card_charge(
    *,
    user: User,
    amount: Money,
    payment_method: str,
    key: str,
    subject: str,
    purpose: CardChargePurpose,
    description: str,
    ledger_description: str,
    ledger_metadata: dict[str, Any] | None = None,
    request_key: str = "",
    connects_units: int | None = None,
    period_start: datetime | None = None,
    gateway: PaymentGateway | None = None,
    around_booking: SpendOnBooking | None = None,
) -> CardCharge:
    """Charge `user`'s card `amount` for `subject` and book it as `purpose` says; the
    charge's row is returned booked or declined.

    The charge is recorded under the gateway key `key` and committed first (so this must not
    run inside a transaction), then the gateway is called with that key, then the money is
    booked in the transaction that marks the charge booked. The same `key` again returns the
    recorded charge (replaying the call if it is still `sent`); with another amount, card,
    purpose or subject it is a CardChargeConflict and nothing changes. A refusal by the
    gateway (other than PaymentGatewayUnavailable, whose outcome is unknown) marks the charge
    declined and is raised. A declined card is the returned row's state: the caller decides
    what the client sees. `ledger_description` and `ledger_metadata` are what the booking
    says; `request_key` (the digest of the subscribing request's key), `connects_units` and
    `period_start` what a Plus start, a bundle and a Plus renewal are booked with, and only
    those. `around_booking` (only for a purpose booked into the balance by
    `card_charge_book_deposit`), when this call books the charge, is
    entered in the booking's transaction before the charge's row is locked and left after the
    money is booked: the caller locks its own rows first, in its usual order, names the
    accounts it will pay through (`CardSpending`), and spends the money on the way out, so
    nothing else of the user's can spend it in between."""
    if (
        around_booking is not None
        and card_charge_bookers()[purpose] is not card_charge_book_deposit
    ):
        raise ValueError("Only a charge booked into the client's balance can be spent on booking.")
    charge = _card_charge_record(
        user=user,
        amount=amount,
        payment_method=payment_method,
        key=key,
        subject=subject,
        purpose=purpose,
        description=description,
        ledger_description=ledger_description,
        ledger_metadata=ledger_metadata or {},
        request_key=request_key,
        connects_units=connects_units,
        period_start=period_start,
    )
    if charge.state != CardChargeState.SENT:
        return charge
    if charge.created_at < clock.now() - CARD_CHARGE_REPLAY_WINDOW:
        raise CardChargeUnsettled(
            "This card payment could not be confirmed with the payment provider in time; "
            "support is settling it, and it will not be charged again."
        )
    charge, refusal = _card_charge_send(charge, gateway or payment_gateway(), around_booking)
    if refusal is not None:
        raise refusal
    return charge


def _card_charge_record(
    *,
    user: User,
    amount: Money,
    payment_method: str,
    key: str,
    subject: str,
    purpose: CardChargePurpose,
    description: str,
    ledger_description: str,
    ledger_metadata: dict[str, Any],
    request_key: str,
    connects_units: int | None,
    period_start: datetime | None,
) -> CardCharge:
    if not key or len(key) > 200:
        raise InvalidInput("A card charge needs a key of at most 200 characters.")
    if not payment_method.strip() or len(payment_method) > MAX_PAYMENT_METHOD_LENGTH:
        raise InvalidInput(
            "Choose a payment method.",
            field_errors={"payment_method": [f"At most {MAX_PAYMENT_METHOD_LENGTH} characters."]},
        )
    if amount.cents <= 0:
        raise InvalidInput("A charge must be positive.")
    what: dict[str, Any] = {
        "user_id": user.pk,
        "purpose": CardChargePurpose(purpose).value,
        "subject": subject,
        "amount_cents": amount.cents,
        "currency": amount.currency,
        "payment_method": payment_method,
        "request_key": request_key,
        "connects_units": connects_units,
        "period_start": period_start,
    }
    try:
        # Durable: the record must be committed before the gateway hears of the charge,
        # never part of a caller's transaction that could still roll back.
        with transaction.atomic(durable=True):
            existing = CardCharge.objects.filter(key=key).first()
            if existing is None:
                # A charge already recorded was checked then; its replay goes on as it was.
                card_reference_check(user=user, payment_method=payment_method)
                return CardCharge.objects.create(
                    key=key,
                    description=description[:255],
                    ledger_description=ledger_description[:255],
                    ledger_metadata=ledger_metadata,
                    created_at=clock.now(),
                    **what,
                )
    except IntegrityError:
        # Another request recorded the same key a moment ago: that record stands.
        existing = CardCharge.objects.get(key=key)
    if any(getattr(existing, field) != value for field, value in what.items()):
        raise CardChargeConflict("This idempotency key was already used for another charge.")
    return existing


def _card_charge_send(
    charge: CardCharge,
    gateway: PaymentGateway,
    around_booking: SpendOnBooking | None = None,
) -> tuple[CardCharge, DomainError | None]:
    """Ask the gateway for the recorded charge (again: same key, card, amount, description)
    and settle it by the answer; the refusal, if the gateway refused, to raise or not.
    PaymentGatewayUnavailable and a gateway's IdempotencyConflict leave the charge `sent`
    (its outcome is unknown) and propagate."""
    amount = Money(charge.amount_cents, charge.currency)
    try:
        result = gateway.charge(
            amount=amount,
            payment_method=charge.payment_method,
            idempotency_key=charge.key,
            description=charge.description,
        )
    except (PaymentGatewayUnavailable, IdempotencyConflict):
        raise
    except DomainError as refusal:
        return _card_charge_decline(charge, reason=refusal.code, reference=""), refusal
    if not result.succeeded:
        reason = result.decline_reason or "declined"
        return _card_charge_decline(charge, reason=reason, reference=result.reference), None
    if result.amount != amount:
        # The gateway holds another charge under this key (made before charges were
        # recorded here): the charge recorded under it cannot be made.
        logger.error(
            "Card charge %s: the gateway answered with %s for %s", charge.key, result, amount
        )
        return (
            _card_charge_decline(
                charge, reason="key_used_for_another_charge", reference=result.reference
            ),
            CardChargeConflict("This idempotency key was already used for another charge."),
        )
    return _card_charge_book(charge, result, around_booking), None


def _card_charge_move(charge: CardCharge, target: CardChargeState, **changes: Any) -> None:
    """Move a row-locked charge to `target` along CARD_CHARGE_TRANSITIONS."""
    if target not in CARD_CHARGE_TRANSITIONS[charge.state]:
        raise InvalidTransition(f"A {charge.state} card charge cannot become {target}.")
    charge.state = target
    charge.settled_at = clock.now()
    for field, value in changes.items():
        setattr(charge, field, value)
    charge.save(update_fields=["state", "settled_at", *changes])


def _card_charge_book(
    charge: CardCharge,
    result: ChargeResult,
    around_booking: SpendOnBooking | None = None,
) -> CardCharge:
    """Book the gateway's answer, once, inside `around_booking` (see `card_charge`). Should
    the booking fail (PostgreSQL could still pick it as a deadlock's victim), it rolls back
    whole and the charge stays `sent`: the next payment for its subject or the reconcile rule
    settles it by replaying the call."""
    with transaction.atomic(), (around_booking or _spends_nothing)() as spending:
        # Only the charge's row: a FOR UPDATE over the join would lock the client's user row
        # too, and a concurrent funding of the same client, whose new rows' deferred foreign
        # keys take a KEY SHARE lock on that user at commit, then deadlocks with this booking.
        locked = (
            CardCharge.objects.select_for_update(of=("self",))
            .select_related("user")
            .get(pk=charge.pk)
        )
        if locked.state == CardChargeState.DECLINED:
            logger.error(
                "Card charge %s was marked declined, and the gateway now says %s succeeded",
                locked.key,
                result.reference,
            )
        if locked.state != CardChargeState.SENT:
            return locked
        if spending.accounts:
            accounts_lock([*card_deposit_accounts(locked.user), *spending.accounts])
        booker = card_charge_bookers()[locked.purpose]
        transfer = booker(charge=locked, result=result)
        _card_charge_move(
            locked,
            CardChargeState.BOOKED,
            gateway_reference=result.reference[:MAX_GATEWAY_REFERENCE_LENGTH],
            transfer=transfer,
        )
        spending.booked = True
        return locked


def _card_charge_decline(charge: CardCharge, *, reason: str, reference: str) -> CardCharge:
    with transaction.atomic():
        locked = CardCharge.objects.select_for_update().get(pk=charge.pk)
        if locked.state != CardChargeState.SENT:
            return locked
        _card_charge_move(
            locked,
            CardChargeState.DECLINED,
            decline_reason=reason[:120],
            gateway_reference=reference[:MAX_GATEWAY_REFERENCE_LENGTH],
        )
        return locked


def card_charges_settle(
    *,
    subject: str,
    gateway: PaymentGateway | None = None,
    around_booking: SpendOnBooking | None = None,
) -> list[CardCharge]:
    """Settle every charge for `subject` still in `sent` (within the replay window): each is
    replayed through the gateway with its own key, card and amount, and booked like the flow
    that made it would have (inside `around_booking`, as `card_charge` says), or marked
    declined. A payment for something payable once calls
    this after claiming it and before charging a new card, so a charge whose request died is
    used instead of charging again. Returns the settled charges; PaymentGatewayUnavailable
    propagates (nothing new may be charged while an earlier charge's outcome is unknown)."""
    gateway = gateway or payment_gateway()
    since = clock.now() - CARD_CHARGE_REPLAY_WINDOW
    pending = list(
        CardCharge.objects.filter(subject=subject, state=CardChargeState.SENT).order_by(
            "created_at", "id"
        )
    )
    if any(charge.created_at < since for charge in pending):
        # Too old to replay safely, and its outcome is unknown: a new charge for the same
        # thing could be a second one.
        raise CardChargeUnsettled(
            "An earlier card payment for this could not be confirmed with the payment "
            "provider in time; support is settling it, and nothing new is charged meanwhile."
        )
    return [_card_charge_send(charge, gateway, around_booking)[0] for charge in pending]


def card_charges_by_state(subject: str) -> dict[str, tuple[int, int]]:
    """The card charges made for `subject`, in one query: state → (how many, cents)."""
    rows = (
        CardCharge.objects.filter(subject=subject)
        .values("state")
        .annotate(n=Count("id"), cents=Sum("amount_cents"))
        .order_by()
    )
    return {row["state"]: (row["n"], row["cents"]) for row in rows}


def card_pay_once(
    *,
    user: User,
    subject: str,
    card: str,
    total: int,
    purpose: CardChargePurpose,
    around_booking: SpendOnBooking,
    paid: Callable[[], bool],
    retry_declined: bool,
    description: str,
    ledger_description: str,
    ledger_metadata: dict[str, Any],
    gateway: PaymentGateway | None = None,
) -> CardCharge | None:
    """Pay `total` for `subject` (something payable once: a milestone's funding, a bonus, an
    expense, an hourly invoice) with `card`, spending the money in its booking
    (`around_booking`, see `card_charge`), and charging the client once however often this
    is called. Must not run inside a transaction.

    - Charges for the subject whose answers were lost are settled first (their bookings pay
      with their money), and nothing new is charged while one's outcome is unknown
      (CardChargeUnsettled, PaymentGatewayUnavailable), whatever card this call brings.
    - Nothing is charged, and None returned, once the subject is `paid` (asked after the
      charges are read: a booking pays in its own transaction, so a charge read as booked
      has paid by now unless the payment was refused), or while charges booked for it
      cover `total` and the money is still on the balance, where the caller's payment from
      the balance takes it.
    - Otherwise the card is charged and the charge (booked or declined) returned, under the
      key of the subject, the card, the total and the number of earlier attempts: charges
      booked for it whose money the client's other payments spent since, and, when
      `retry_declined` (a person asking again), declined ones. Two requests paying at the
      same moment thus arrive at the same key and one charge; a retry after a decline is a
      new attempt, while a scheduled run (`retry_declined` false) does not try a declined
      card again until the client changes it."""
    gateway = gateway or payment_gateway()
    charges = card_charges_by_state(subject)
    if CardChargeState.SENT in charges:
        card_charges_settle(subject=subject, gateway=gateway, around_booking=around_booking)
        charges = card_charges_by_state(subject)
    if paid():
        return None
    booked_count, booked_cents = charges.get(CardChargeState.BOOKED, (0, 0))
    if booked_cents >= total:
        funding = account_for(kind=AccountKind.CLIENT_FUNDING, owner=user)
        if funding.balance_cents >= total:
            return None
    declined_count = charges.get(CardChargeState.DECLINED, (0, 0))[0] if retry_declined else 0
    return card_charge(
        user=user,
        amount=Money(total),
        payment_method=card,
        key=f"{subject}:card:{idempotency_key_digest(card)}:{total}:"
        f"{booked_count + declined_count}",
        subject=subject,
        purpose=purpose,
        description=description,
        ledger_description=ledger_description,
        ledger_metadata=ledger_metadata,
        gateway=gateway,
        around_booking=around_booking,
    )


def card_charges_reconcile_run_due(*, now: datetime) -> dict[str, int]:
    """Settle every card charge left in `sent` for longer than a charge claim lasts (its
    request is over, whatever happened to it) and less than the replay window: a deposit's or
    a Connects purchase's money ends up booked, a milestone's in the client's balance, Plus
    started or renewed. Safe to run twice: a settled charge is never settled again. A charge
    the gateway cannot answer now is left for the next run; one past the replay window is
    counted as `stale` for an operator."""
    counts = {"booked": 0, "declined": 0, "retry": 0, "stale": 0}
    gateway = payment_gateway()
    sent = CardCharge.objects.filter(state=CardChargeState.SENT)
    due = sent.filter(
        created_at__lte=now - CLAIM_TIMEOUT, created_at__gte=now - CARD_CHARGE_REPLAY_WINDOW
    ).order_by("created_at", "id")
    for pk in list(due.values_list("pk", flat=True)):
        charge = CardCharge.objects.get(pk=pk)
        if charge.state != CardChargeState.SENT:
            continue
        try:
            charge, _ = _card_charge_send(charge, gateway)
        except (PaymentGatewayUnavailable, IdempotencyConflict) as unknown:
            logger.warning("Card charge %s: no answer from the gateway (%s)", charge.key, unknown)
            counts["retry"] += 1
            continue
        except Exception:
            logger.exception("Card charge %s could not be settled", charge.key)
            counts["retry"] += 1
            continue
        counts[charge.state] += 1
    counts["stale"] = sent.filter(created_at__lt=now - CARD_CHARGE_REPLAY_WINDOW).count()
    return counts


def card_charge_resolve(*, charge: CardCharge, reference: str, actor: User | None) -> CardCharge:
    """An operator settles a charge left in `sent` after looking it up at the provider (by
    its key, which Stripe keeps in the PaymentIntent's metadata as `openlance_key`):
    `reference` is the provider's id of the charge that succeeded (surrounding blanks
    ignored, at most MAX_GATEWAY_REFERENCE_LENGTH characters), booked as the original flow
    would have; empty means the provider holds no successful charge for the key, and the
    charge is marked declined. A reference the ledger has booked already (`charge:<id>`) is
    another charge's and is refused. Recorded in the staff audit log; a refusal changes
    nothing."""
    if charge.state != CardChargeState.SENT:
        raise InvalidTransition(f"Card charge {charge.key} is {charge.state} already.")
    cleaned = reference.strip()
    if reference and not cleaned:
        raise InvalidInput("The provider's reference is blank.")
    if len(cleaned) > MAX_GATEWAY_REFERENCE_LENGTH:
        raise InvalidInput(
            f"The provider's reference has {len(cleaned)} characters; a charge's has at most "
            f"{MAX_GATEWAY_REFERENCE_LENGTH}."
        )
    if cleaned and Transfer.objects.filter(idempotency_key=f"charge:{cleaned}").exists():
        raise Conflict(
            f"The provider's charge {cleaned} is booked already, for another card charge; "
            f"look up the one made under the key {charge.key}."
        )
    if cleaned:
        result = ChargeResult(
            reference=cleaned,
            status=ChargeStatus.SUCCEEDED,
            amount=Money(charge.amount_cents, charge.currency),
        )
        settled = _card_charge_book(charge, result)
    else:
        settled = _card_charge_decline(charge, reason="not_charged", reference="")
    audit_record(
        actor=actor,
        action="card_charge.resolved",
        target=settled,
        detail={"key": settled.key, "state": settled.state, "reference": cleaned},
    )
    return settled
