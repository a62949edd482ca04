"""Refunds (SPEC §7.3): the freelancer gives back all or part of a payment on the contract up
to 180 days old; the client may ask for one on a payment up to 365 days old, and the
freelancer has 7 days to accept (the refund is made) or reject it (the client may then open
a dispute). An unanswered request lapses, with the same effect as a rejection.

The money moves through `billing.payments.payment_refund`: the refunded part goes to the
client's balance, taken from the freelancer's available money and then from this payment's
pending earning, and the service fee on it goes back from the platform in proportion, so
the relationship's billings and the freelancer's net stay exact.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q, QuerySet

from openlance.accounts.models import User
from openlance.billing.gateway import idempotency_key_digest
from openlance.billing.models import Payment
from openlance.billing.payments import (
    payment_refund,
    payment_refund_hold,
    payment_refund_hold_release,
)
from openlance.contracts.common import lock_contract, require_party
from openlance.contracts.models import (
    REFUND_REQUEST_TRANSITIONS,
    Contract,
    Refund,
    RefundRequest,
    RefundRequestState,
)
from openlance.core import clock
from openlance.core.errors import Conflict, IdempotencyConflict, InvalidInput, InvalidTransition
from openlance.core.money import Money
from openlance.core.services import event_emit

REFUND_WITHIN = timedelta(days=180)
REQUEST_WITHIN = timedelta(days=365)
ANSWER_WITHIN = timedelta(days=7)
DISPUTE_WITHIN = timedelta(days=30)
MAX_REASON = 1000


def contract_payments(contract: Contract) -> QuerySet[Payment]:
    """The payments for work the contract made: milestone releases, hourly invoices paid by
    the client, and bonuses (hourly protection is the platform's money, not refundable)."""
    return Payment.objects.filter(
        Q(milestone_release__contract=contract)
        | Q(hourly_invoice__contract=contract)
        | Q(bonus__contract=contract)
    ).order_by("-created_at", "-id")


def _payment_of(contract: Contract, payment: Payment) -> Payment:
    found = contract_payments(contract).filter(pk=payment.pk).first()
    if found is None:
        raise InvalidInput(
            "That payment was not made on this contract.",
            field_errors={"payment": ["Not a payment of this contract."]},
        )
    return found


def _checked(payment: Payment, amount: Money, reason: str, within: timedelta) -> str:
    errors: dict[str, list[str]] = {}
    left = payment.gross_cents - payment.refunded_cents
    if amount.currency != "USD":
        errors["amount"] = ["Use USD."]
    elif not 0 < amount.cents <= left:
        errors["amount"] = [f"Between $0.01 and {Money(left)}, what is left of the payment."]
    reason = " ".join((reason or "").split())
    if not reason:
        errors["reason"] = ["Say why."]
    elif len(reason) > MAX_REASON:
        errors["reason"] = [f"At most {MAX_REASON} characters."]
    if errors:
        raise InvalidInput("Check the refund.", field_errors=errors)
    if clock.now() > payment.created_at + within:
        raise Conflict(f"Only payments from the last {within.days} days can be refunded.")
    return reason


def _refund(contract: Contract, payment: Payment, amount: Money, reason: str, key: str) -> Refund:
    """Inside the caller's transaction, with the contract locked."""
    existing = Refund.objects.filter(contract=contract, key=key).first()
    if existing is not None:
        if (existing.payment_id, existing.amount_cents) != (payment.pk, amount.cents):
            raise IdempotencyConflict("This request key already made another refund.")
        return existing
    transfer = payment_refund(
        payment=payment, amount=amount, key=f"refund:{contract.pk}:{key}", reason=reason
    )
    refund = Refund.objects.create(
        contract=contract,
        payment=payment,
        amount_cents=amount.cents,
        reason=reason,
        key=key,
        created_at=clock.now(),
        transfer=transfer,
    )
    event_emit(kind="refund.made", payload={"refund_id": refund.pk, "contract_id": contract.pk})
    return refund


def refund_make(
    *, freelancer: User, contract: Contract, payment: Payment, amount: Money, reason: str, key: str
) -> Refund:
    """The freelancer refunds all or part of a payment up to 180 days old. Once per `key`;
    refused whole when their available and this payment's pending money do not cover it."""
    require_party(contract, freelancer, "freelancer")
    payment = _payment_of(contract, payment)
    key = (key or "").strip()
    if not key or len(key) > 200:
        raise InvalidInput("A refund needs a request key of 1 to 200 characters.")
    digest = idempotency_key_digest(key)
    made = Refund.objects.filter(contract=contract, key=digest).first()
    if made is not None:  # a retry finds the refund it made, whatever is left by now
        if (made.payment_id, made.amount_cents) != (payment.pk, amount.cents):
            raise IdempotencyConflict("This request key already made another refund.")
        return made
    reason = _checked(payment, amount, reason, REFUND_WITHIN)
    with transaction.atomic():
        locked = lock_contract(contract)
        _require_no_dispute(payment)
        return _refund(locked, payment, amount, reason, digest)


def refund_request_open(
    *, client: User, contract: Contract, payment: Payment, amount: Money, reason: str
) -> RefundRequest:
    """The client asks for a refund on a payment up to 365 days old; one request per payment
    waits at a time."""
    require_party(contract, client, "client")
    payment = _payment_of(contract, payment)
    reason = _checked(payment, amount, reason, REQUEST_WITHIN)
    with transaction.atomic():
        locked = lock_contract(contract)
        if RefundRequest.objects.filter(payment=payment, state=RefundRequestState.PENDING).exists():
            raise Conflict("A refund request on this payment is already waiting for an answer.")
        _require_no_dispute(payment)
        now = clock.now()
        request = RefundRequest.objects.create(
            contract=locked,
            payment=payment,
            amount_cents=amount.cents,
            reason=reason,
            created_at=now,
            answer_by=now + ANSWER_WITHIN,
        )
        event_emit(
            kind="refund_request.opened",
            payload={"request_id": request.pk, "contract_id": locked.pk},
        )
    return request


def _require_no_dispute(payment: Payment) -> None:
    """Inside the contract's lock: a payment whose refund a dispute decides takes no other
    refund meanwhile (the held money must still be there for the decision)."""
    if RefundRequest.objects.filter(payment=payment, state=RefundRequestState.DISPUTED).exists():
        raise Conflict("A dispute decides a refund of this payment; wait for its decision.")


def _require_move(request: RefundRequest, target: str) -> None:
    if target not in REFUND_REQUEST_TRANSITIONS[request.state]:
        raise InvalidTransition(
            f"A refund request that is {request.get_state_display().lower()} cannot become "
            f"{RefundRequestState(target).label.lower()}."
        )


def _move(request: RefundRequest, target: str, **changes: object) -> RefundRequest:
    locked = RefundRequest.objects.select_for_update().get(pk=request.pk)
    _require_move(locked, target)
    if locked.state == RefundRequestState.PENDING:
        locked.answered_at = clock.now()
    locked.state = target
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.save()
    return locked


def _require_answerable(request: RefundRequest) -> None:
    if clock.now() >= request.answer_by:
        raise Conflict("The 7 days to answer this request are over.")


def refund_request_accept(*, freelancer: User, request: RefundRequest) -> RefundRequest:
    """The freelancer accepts: the requested amount is refunded as asked."""
    contract = request.contract
    require_party(contract, freelancer, "freelancer")
    _require_answerable(request)
    with transaction.atomic():
        locked = lock_contract(contract)
        pending = RefundRequest.objects.select_for_update().get(pk=request.pk)
        _require_move(pending, RefundRequestState.ACCEPTED)
        payment = Payment.objects.get(pk=pending.payment_id)
        _require_no_dispute(payment)
        refund = _refund(
            locked,
            payment,
            Money(pending.amount_cents),
            f"Refund requested by the client: {pending.reason}",
            f"request:{pending.pk}",
        )
        answered = _move(pending, RefundRequestState.ACCEPTED, refund=refund)
        event_emit(
            kind="refund_request.answered",
            payload={"request_id": answered.pk, "contract_id": locked.pk},
        )
    return answered


def refund_request_reject(*, freelancer: User, request: RefundRequest, note: str) -> RefundRequest:
    """The freelancer rejects, saying why; the client may open a dispute."""
    require_party(request.contract, freelancer, "freelancer")
    note = " ".join((note or "").split())
    if not note or len(note) > MAX_REASON:
        raise InvalidInput(
            "Say why.", field_errors={"note": [f"1 to {MAX_REASON} characters: say why."]}
        )
    _require_answerable(request)
    with transaction.atomic():
        answered = _move(request, RefundRequestState.REJECTED, answer_note=note)
        event_emit(
            kind="refund_request.answered",
            payload={"request_id": answered.pk, "contract_id": answered.contract_id},
        )
    return answered


def refund_requests_lapse_run_due(*, now: datetime) -> int:
    """Requests unanswered for 7 days lapse (SPEC §17: each time-driven rule runnable by
    hand); safe to repeat."""
    lapsed = 0
    due = RefundRequest.objects.filter(state=RefundRequestState.PENDING, answer_by__lte=now)
    for request in list(due.order_by("answer_by", "id")):
        with transaction.atomic():
            locked = RefundRequest.objects.select_for_update().get(pk=request.pk)
            if locked.state != RefundRequestState.PENDING:
                continue
            # The day it lapsed, whenever this run comes: the 30 days to dispute start then.
            _move(locked, RefundRequestState.LAPSED, answered_at=locked.answer_by)
            event_emit(
                kind="refund_request.answered",
                payload={"request_id": locked.pk, "contract_id": locked.contract_id},
            )
            lapsed += 1
    return lapsed


def _hold_reference(request: RefundRequest) -> str:
    return f"refund-request:{request.pk}"


def dispute_open_until(request: RefundRequest) -> datetime | None:
    """Until when the client may dispute this request (None: it cannot be disputed)."""
    if request.state not in (RefundRequestState.REJECTED, RefundRequestState.LAPSED):
        return None
    return (request.answered_at or request.answer_by) + DISPUTE_WITHIN


def refund_request_dispute_hold(*, client: User, request: RefundRequest) -> RefundRequest:
    """In the caller's transaction (a dispute being opened): the client disputes a request
    the freelancer rejected or left unanswered, within 30 days. The freelancer's part of the
    refund asked is held from their money (available, then this payment's pending earning);
    when they hold less, because it was withdrawn, the dispute is about what they hold."""
    contract = request.contract
    require_party(contract, client, "client")
    lock_contract(contract)
    locked = RefundRequest.objects.select_for_update().get(pk=request.pk)
    until = dispute_open_until(locked)
    if until is None:
        raise Conflict("Only a refund request the freelancer rejected or left unanswered.")
    if clock.now() > until:
        raise Conflict(
            f"A refund request can be disputed within {DISPUTE_WITHIN.days} days of its answer."
        )
    payment = Payment.objects.get(pk=locked.payment_id)
    _require_no_dispute(payment)
    left = payment.gross_cents - payment.refunded_cents
    if left <= 0:
        raise Conflict("This payment has been refunded in full already.")
    covered, _ = payment_refund_hold(
        payment=payment,
        amount=Money(min(locked.amount_cents, left)),
        key=f"refund-request:{locked.pk}:hold",
        reference=_hold_reference(locked),
    )
    return _move(
        locked, RefundRequestState.DISPUTED, disputed_at=clock.now(), disputed_cents=covered.cents
    )


def refund_request_dispute_settle(request: RefundRequest, *, client_cents: int) -> RefundRequest:
    """In the caller's transaction (the dispute decided): the hold goes
    back to the freelancer and `client_cents` of the payment is refunded to the client, its
    service fee returned in proportion like any refund."""
    lock_contract(request.contract)
    locked = RefundRequest.objects.select_for_update().get(pk=request.pk)
    assert locked.disputed_cents is not None
    assert 0 <= client_cents <= locked.disputed_cents
    payment = Payment.objects.get(pk=locked.payment_id)
    payment_refund_hold_release(
        payment=payment,
        key=f"refund-request:{locked.pk}:release",
        reference=_hold_reference(locked),
    )
    refund = None
    if client_cents:
        refund = _refund(
            locked.contract,
            payment,
            Money(client_cents),
            f"Refund decided in a dispute: {locked.reason}",
            f"request:{locked.pk}:dispute",
        )
    return _move(locked, RefundRequestState.SETTLED, **({"refund": refund} if refund else {}))
