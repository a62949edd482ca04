"""Dispute writes (SPEC §9). Each locks the dispute row; the money moves once, in the
transaction that records the decision, through contracts' `milestone_dispute_settle` (the
freelancer's share released with the service fee, the rest refunded to the client) or
`invoice_dispute_settle` (the hours that stand paid, the rest refunded or never charged).
Mediators act as staff: every one of their actions is in the audit log."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import DatabaseError, transaction

from openlance.accounts.models import User
from openlance.accounts.selectors import is_mediator
from openlance.accounts.services import audit_record
from openlance.contracts.common import lock_contract
from openlance.contracts.endings import contract_end, initiation_fee_refund_after_disputes
from openlance.contracts.hourly import weeks
from openlance.contracts.hourly.services import invoice_dispute_freeze, invoice_dispute_settle
from openlance.contracts.milestones.disputed import (
    can_open_dispute,
    contract_dispute_decided,
    milestone_dispute_freeze,
    milestone_dispute_settle,
)
from openlance.contracts.milestones.release import milestone_cancel
from openlance.contracts.milestones.states import OPEN_MILESTONE_STATES
from openlance.contracts.models import (
    Contract,
    DisputeDecision,
    Expense,
    ExpenseState,
    HourlyInvoice,
    Milestone,
    MilestoneState,
    RefundRequest,
)
from openlance.contracts.payments.expenses import expense_dispute_freeze, expense_dispute_settle
from openlance.contracts.payments.refunds import (
    refund_request_dispute_hold,
    refund_request_dispute_settle,
)
from openlance.core import clock
from openlance.core.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    InvalidTransition,
    NotFound,
)
from openlance.core.money import Money
from openlance.core.services import event_emit
from openlance.disputes.calendar import add_business_days
from openlance.disputes.models import (
    DISPUTE_TRANSITIONS,
    DecidedBy,
    Dispute,
    DisputeState,
    Side,
)

logger = logging.getLogger(__name__)

RESPONSE_BUSINESS_DAYS = 5
HOURLY_RESPONSE_WITHIN = timedelta(days=3)
MEDIATION_WITHIN = timedelta(days=30)
MAX_TEXT = 5000


def _text(value: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput("Say what happened.", field_errors={field: ["Required."]})
    if len(value) > MAX_TEXT:
        raise InvalidInput(f"At most {MAX_TEXT} characters.", field_errors={field: ["Too long."]})
    return value


def side_of(dispute: Dispute, user: User) -> str:
    """The user's side of the dispute's contract (anyone else: 404)."""
    contract = dispute.contract
    if user.pk == contract.client_id:
        return Side.CLIENT
    if user.pk == contract.freelancer_id:
        return Side.FREELANCER
    raise NotFound("There is no such dispute.")


def _move(dispute: Dispute, target: str, **changes: object) -> Dispute:
    if target not in DISPUTE_TRANSITIONS[dispute.state]:
        raise InvalidTransition(
            f"A dispute that is {dispute.get_state_display().lower()} cannot become "
            f"{DisputeState(target).label.lower()}."
        )
    dispute.state = target
    for name, value in changes.items():
        setattr(dispute, name, value)
    dispute.save()
    if target != DisputeState.DECIDED:  # `_decide` announces a decision, with its freelancer
        event_emit(
            kind=f"dispute.{target}",
            payload={"dispute_id": dispute.pk, "contract_id": dispute.contract_id},
        )
    return dispute


def _locked(dispute: Dispute) -> Dispute:
    return Dispute.objects.select_for_update().select_related("contract").get(pk=dispute.pk)


def _dispute_create(
    *,
    contract: Contract,
    opened_by: str,
    reason: str,
    amount_cents: int,
    respond_within: timedelta | None = None,
    **subject: Milestone | Expense | HourlyInvoice | RefundRequest,
) -> Dispute:
    """Record a dispute on its frozen subject and announce it, in the caller's transaction.
    The other side answers within 5 business days unless `respond_within` says otherwise."""
    now = clock.now()
    dispute = Dispute.objects.create(
        contract=contract,
        opened_by=opened_by,
        reason=reason,
        amount_cents=amount_cents,
        opened_at=now,
        respond_by=now + respond_within
        if respond_within is not None
        else add_business_days(now, RESPONSE_BUSINESS_DAYS),
        **subject,
    )
    event_emit(
        kind="dispute.opened", payload={"dispute_id": dispute.pk, "contract_id": contract.pk}
    )
    return dispute


def dispute_open(*, user: User, milestone: Milestone, reason: str) -> Dispute:
    """Open a dispute on the milestone's escrow, which is frozen at once. The client asks
    for the escrow back; the freelancer asks for submitted work to be paid."""
    contract = milestone.contract
    if user.pk not in (contract.client_id, contract.freelancer_id):
        raise NotFound("There is no such milestone.")
    side = Side.CLIENT if user.pk == contract.client_id else Side.FREELANCER
    reason = _text(reason, "reason")
    with transaction.atomic():
        # The contract row first, then the milestone: the lock order of every contract write.
        lock_contract(contract)
        frozen_before = Milestone.objects.select_for_update().get(pk=milestone.pk)
        if not can_open_dispute(frozen_before, as_client=side == Side.CLIENT):
            raise Conflict(
                "The client disputes money in escrow; the freelancer, submitted work the "
                "client does not release. This milestone has nothing to dispute."
            )
        frozen = milestone_dispute_freeze(frozen_before)
        return _dispute_create(
            contract=contract,
            opened_by=side,
            reason=reason,
            amount_cents=frozen.in_escrow_cents,
            milestone=frozen,
        )


def contract_end_disputed(*, user: User, contract: Contract, reason: str) -> list[Dispute]:
    """End a contract whose escrow the two sides have not settled (SPEC §7.3:
    "else a dispute opens"). Each open milestone is closed the way the ending side may close
    it: one not funded is cancelled; one with escrow is disputed (by the client, to have it
    back; by the freelancer, for submitted work the client does not release), while a
    freelancer gives up work with escrow they never submitted (its escrow goes back). Then the
    contract ends; the disputed escrow stays frozen until each dispute is decided. Funded
    expenses are disputed too (one accepted and not funded still stops the end: it is
    funded, or the freelancer gives it up). All or nothing: a milestone that cannot be
    closed so leaves everything as it was."""
    if user.pk not in (contract.client_id, contract.freelancer_id):
        raise NotFound("There is no such contract.")
    reason = _text(reason, "reason")
    as_client = user.pk == contract.client_id
    opened: list[Dispute] = []
    with transaction.atomic():
        locked = lock_contract(contract)
        for milestone in locked.milestones.filter(state__in=OPEN_MILESTONE_STATES).order_by(
            "position", "id"
        ):
            if milestone.state == MilestoneState.DISPUTED:
                continue
            submitted = milestone.state in (
                MilestoneState.SUBMITTED,
                MilestoneState.CHANGES_REQUESTED,
            )
            if milestone.in_escrow_cents <= 0 or (not as_client and not submitted):
                milestone_cancel(user=user, milestone=milestone)
            else:
                opened.append(dispute_open(user=user, milestone=milestone, reason=reason))
        for expense in locked.expenses.filter(state=ExpenseState.FUNDED).order_by("id"):
            opened.append(expense_dispute_open(user=user, expense=expense, reason=reason))
        contract_end(user=user, contract=locked)
    return opened


def expense_dispute_open(*, user: User, expense: Expense, reason: str) -> Dispute:
    """Either side disputes a funded expense's escrow (the freelancer, to be reimbursed; the
    client, to have it back): frozen at once, answered within 5 business days, then
    mediated like a milestone's escrow."""
    side = Side.CLIENT if user.pk == expense.contract.client_id else Side.FREELANCER
    reason = _text(reason, "reason")
    with transaction.atomic():
        frozen = expense_dispute_freeze(user=user, expense=expense)
        return _dispute_create(
            contract=frozen.contract,
            opened_by=side,
            reason=reason,
            amount_cents=frozen.amount_cents,
            expense=frozen,
        )


def invoice_dispute_open(*, user: User, invoice: HourlyInvoice, reason: str) -> Dispute:
    """The client disputes an hourly invoice in its review window: the invoice is frozen
    (nothing paid, charged or protected) and the contract paused; the freelancer has 3 days
    to respond."""
    with transaction.atomic():
        frozen = invoice_dispute_freeze(user=user, invoice=invoice, reason=reason)
        return _dispute_create(
            contract=frozen.contract,
            opened_by=Side.CLIENT,
            reason=frozen.dispute_reason,
            amount_cents=frozen.amount_cents,
            respond_within=HOURLY_RESPONSE_WITHIN,
            invoice=frozen,
        )


def refund_dispute_open(*, user: User, request: RefundRequest, reason: str) -> Dispute:
    """The client disputes a refund request the freelancer rejected or left unanswered,
    within 30 days: the freelancer's part of the refund is held at once (SPEC §7.3, "rejection
    may lead to a dispute"), the freelancer has 5 business days to respond, then mediation
    decides how much of it is refunded."""
    contract = request.contract
    if user.pk not in (contract.client_id, contract.freelancer_id):
        raise NotFound("There is no such refund request.")
    if user.pk != contract.client_id:
        raise Conflict("The client disputes a refund the freelancer rejected.")
    reason = _text(reason, "reason")
    with transaction.atomic():
        held = refund_request_dispute_hold(client=user, request=request)
        assert held.disputed_cents is not None
        return _dispute_create(
            contract=contract,
            opened_by=Side.CLIENT,
            reason=reason,
            amount_cents=held.disputed_cents,
            refund_request=held,
        )


def dispute_respond(*, user: User, dispute: Dispute, response: str) -> Dispute:
    """The other side answers in time: the dispute goes to a mediator."""
    side = side_of(dispute, user)
    response = _text(response, "response")
    with transaction.atomic():
        locked = _locked(dispute)
        if side == locked.opened_by:
            raise Conflict("The other side responds to your dispute.")
        now = clock.now()
        if locked.state == DisputeState.AWAITING_RESPONSE and now >= locked.respond_by:
            raise Conflict(
                "The time to respond is over: the dispute is decided for the other side."
            )
        return _move(
            locked,
            DisputeState.IN_MEDIATION,
            response=response,
            responded_at=now,
            mediate_by=now + MEDIATION_WITHIN,
        )


def _opener_wins(dispute: Dispute) -> tuple[int, int | None]:
    """(freelancer's cents, billed seconds) when the side that opened the dispute has it."""
    if dispute.invoice is not None:
        return 0, 0  # only the client disputes an invoice: no hour is billed
    return (dispute.amount_cents if dispute.opened_by == Side.FREELANCER else 0), None


def dispute_concede(*, user: User, dispute: Dispute) -> Dispute:
    """The side that did not open the dispute gives the opener what they asked for (the
    client agrees to release, the freelancer to refund), at any time before a decision."""
    side = side_of(dispute, user)
    with transaction.atomic():
        locked = _locked(dispute)
        if side == locked.opened_by:
            raise Conflict("The other side may concede your dispute; you may not.")
        if locked.state == DisputeState.DECIDED:
            raise InvalidTransition("This dispute is decided already.")
        cents, seconds = _opener_wins(locked)
        return _decide(
            locked,
            cents,
            DecidedBy.CONCEDED,
            "The other side conceded.",
            billed_seconds=seconds,
        )


def _require_mediator(user: User, dispute: Dispute) -> None:
    """A mediator who is not a party to the dispute's contract (anyone else: 404)."""
    contract = dispute.contract
    if not is_mediator(user=user) or user.pk in (contract.client_id, contract.freelancer_id):
        raise NotFound("There is no such dispute.")


def _require_fixed(dispute: Dispute) -> None:
    if dispute.is_hourly:
        raise InvalidTransition(
            "An hourly dispute is decided by the hours billed, not by a split of escrow."
        )


def _checked_share(dispute: Dispute, freelancer_cents: int) -> int:
    if not 0 <= freelancer_cents <= dispute.amount_cents:
        raise InvalidInput(
            f"The freelancer's share is between $0.00 and {Money(dispute.amount_cents)}.",
            field_errors={"freelancer_share": [f"At most {Money(dispute.amount_cents)}."]},
        )
    return freelancer_cents


def dispute_propose(
    *, mediator: User, dispute: Dispute, freelancer_cents: int, note: str
) -> Dispute:
    """A mediator proposes how the escrow is split; both sides accept it or it goes to
    arbitration. A new proposal replaces the last and clears its acceptances."""
    _require_mediator(mediator, dispute)
    note = _text(note, "note")
    with transaction.atomic():
        locked = _locked(dispute)
        _require_fixed(locked)
        share = _checked_share(locked, freelancer_cents)
        proposed = _move(
            locked,
            DisputeState.PROPOSED,
            mediator=mediator,
            proposal_freelancer_cents=share,
            proposal_note=note,
            proposed_at=clock.now(),
            proposal_revision=locked.proposal_revision + 1,
            client_accepted_at=None,
            freelancer_accepted_at=None,
        )
        audit_record(
            actor=mediator,
            action="dispute.proposed",
            target=proposed,
            detail={"freelancer_cents": share, "note": note},
        )
    return proposed


def dispute_proposal_answer(
    *, user: User, dispute: Dispute, accept: bool, revision: int
) -> Dispute:
    """A side accepts the proposed split (both: it is executed) or rejects it (arbitration).
    `revision` names the proposal the side read: one the mediator replaced since is not
    answered for them."""
    side = side_of(dispute, user)
    with transaction.atomic():
        locked = _locked(dispute)
        if locked.state != DisputeState.PROPOSED:
            raise InvalidTransition("There is no proposal waiting for an answer.")
        if locked.proposal_revision != revision:
            raise Conflict("The mediator changed the proposal since you read it: read it again.")
        if not accept:
            return _move(locked, DisputeState.ARBITRATION, rejected_by=side)
        now = clock.now()
        if side == Side.CLIENT:
            locked.client_accepted_at = locked.client_accepted_at or now
        else:
            locked.freelancer_accepted_at = locked.freelancer_accepted_at or now
        locked.save(update_fields=["client_accepted_at", "freelancer_accepted_at"])
        if locked.client_accepted_at and locked.freelancer_accepted_at:
            assert locked.proposal_freelancer_cents is not None
            return _decide(
                locked, locked.proposal_freelancer_cents, DecidedBy.AGREEMENT, locked.proposal_note
            )
        return locked


def dispute_arbitrate(
    *, mediator: User, dispute: Dispute, freelancer_cents: int, note: str
) -> Dispute:
    """A mediator records arbitration's outcome; the platform executes it."""
    _require_mediator(mediator, dispute)
    note = _text(note, "note")
    with transaction.atomic():
        locked = _locked(dispute)
        _require_fixed(locked)
        if locked.state != DisputeState.ARBITRATION:
            raise InvalidTransition("Only a dispute in arbitration is decided by arbitration.")
        share = _checked_share(locked, freelancer_cents)
        decided = _decide(locked, share, DecidedBy.ARBITRATION, note, mediator=mediator)
        audit_record(
            actor=mediator,
            action="dispute.arbitrated",
            target=decided,
            detail={"freelancer_cents": share, "note": note},
        )
    return decided


def dispute_decide_hours(
    *, mediator: User, dispute: Dispute, billed_seconds: int, note: str
) -> Dispute:
    """A mediator decides which of a disputed invoice's hours are billed (SPEC §9, hourly),
    once the freelancer has responded: they are paid, the rest refunded to the client."""
    _require_mediator(mediator, dispute)
    note = _text(note, "note")
    with transaction.atomic():
        locked = _locked(dispute)
        invoice = locked.invoice
        if invoice is None:
            raise InvalidTransition("A fixed-price dispute is decided by a split of the escrow.")
        if locked.state not in (DisputeState.IN_MEDIATION, DisputeState.ARBITRATION):
            raise InvalidTransition(
                "A mediator decides the hours once the freelancer has responded."
            )
        if not 0 <= billed_seconds <= invoice.seconds_billed:
            raise InvalidInput(
                f"Between 0 and {invoice.seconds_billed / 3600:.2f} hours are billed.",
                field_errors={"hours": ["Out of range."]},
            )
        cents = weeks.amount_cents(billed_seconds, invoice.hourly_rate_cents)
        decided = _decide(
            locked,
            cents,
            DecidedBy.MEDIATOR,
            note,
            mediator=mediator,
            billed_seconds=billed_seconds,
        )
        audit_record(
            actor=mediator,
            action="dispute.hours_decided",
            target=decided,
            detail={"billed_seconds": billed_seconds, "freelancer_cents": cents, "note": note},
        )
    return decided


def _decide(
    dispute: Dispute,
    freelancer_cents: int,
    decided_by: str,
    note: str,
    *,
    mediator: User | None = None,
    billed_seconds: int | None = None,
) -> Dispute:
    """Execute the outcome (the dispute locked by the caller) and record it on the contract."""
    if dispute.invoice is not None:
        assert billed_seconds is not None
        invoice_dispute_settle(dispute.invoice, billed_seconds=billed_seconds, now=clock.now())
    elif dispute.expense is not None:
        expense_dispute_settle(dispute.expense, freelancer_cents=freelancer_cents)
    elif dispute.refund_request is not None:
        refund_request_dispute_settle(
            dispute.refund_request, client_cents=dispute.amount_cents - freelancer_cents
        )
    else:
        assert dispute.milestone is not None
        milestone_dispute_settle(dispute.milestone, freelancer_cents=freelancer_cents)
        initiation_fee_refund_after_disputes(contract=dispute.contract)
    if freelancer_cents == dispute.amount_cents:
        decision = DisputeDecision.FOR_FREELANCER
    elif freelancer_cents == 0:
        decision = DisputeDecision.AGAINST_FREELANCER
    else:
        decision = DisputeDecision.SPLIT
    # A concession is the two sides agreeing, not a dispute decided against anyone.
    if decided_by != DecidedBy.CONCEDED:
        contract_dispute_decided(dispute.contract, decision)
    decided = _move(
        dispute,
        DisputeState.DECIDED,
        freelancer_cents=freelancer_cents,
        billed_seconds=billed_seconds,
        decided_by=decided_by,
        decision_note=note,
        decided_at=clock.now(),
        **({"mediator": mediator} if mediator else {}),
    )
    event_emit(
        kind="dispute.decided",
        payload={
            "dispute_id": decided.pk,
            "contract_id": decided.contract_id,
            "freelancer_id": decided.contract.freelancer_id,
        },
    )
    return decided


def _decide_unanswered(dispute: Dispute) -> bool:
    with transaction.atomic():
        locked = _locked(dispute)
        if locked.state != DisputeState.AWAITING_RESPONSE:
            return False
        cents, seconds = _opener_wins(locked)
        _decide(
            locked,
            cents,
            DecidedBy.NO_RESPONSE,
            "No response in time.",
            billed_seconds=seconds,
        )
        return True


def _to_arbitration(dispute: Dispute) -> bool:
    with transaction.atomic():
        locked = _locked(dispute)
        if locked.state not in (DisputeState.IN_MEDIATION, DisputeState.PROPOSED):
            return False
        _move(locked, DisputeState.ARBITRATION)
        return True


def _isolated(step: Callable[[Dispute], bool], dispute: Dispute) -> bool:
    """One dispute's step of a run; a failure is logged and the run goes on with the others
    (the next run retries it)."""
    try:
        return step(dispute)
    except (DomainError, DatabaseError):
        logger.exception("disputes run: %s failed for dispute %s", step.__name__, dispute.pk)
        return False


def disputes_run_due(*, now: datetime) -> dict[str, int]:
    """SPEC §9's deadlines, safe to repeat: a dispute not answered in time (5 business days;
    an hourly one, 3 days) is decided for the side that opened it; one not mediated within
    30 days of the response goes to arbitration."""
    decided = escalated = 0
    unanswered = Dispute.objects.filter(
        state=DisputeState.AWAITING_RESPONSE, respond_by__lte=now
    ).order_by("respond_by", "id")
    for dispute in list(unanswered):
        decided += bool(_isolated(_decide_unanswered, dispute))
    # Mediation has 30 days from the response: a split not proposed, or not accepted by both
    # sides, by then goes to arbitration.
    stalled = Dispute.objects.filter(
        state__in=(DisputeState.IN_MEDIATION, DisputeState.PROPOSED), mediate_by__lte=now
    ).order_by("mediate_by", "id")
    for dispute in list(stalled):
        escalated += bool(_isolated(_to_arbitration, dispute))
    return {"decided": decided, "to_arbitration": escalated}
