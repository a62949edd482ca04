"""Disputes API (tag `disputes`): open one on a milestone's escrow or an hourly invoice,
respond or concede, answer the mediator's proposal; mediators propose splits, record
arbitration and decide a disputed invoice's hours. A dispute is seen by its contract's two
parties and by mediators; anyone else gets a 404."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from openlance.accounts.auth import request_user, scope_first
from openlance.accounts.selectors import is_mediator
from openlance.contracts.hourly.selectors import invoice_for
from openlance.contracts.hourly.services import MAX_DISPUTE_REASON
from openlance.contracts.payments.selectors import expense_for, refund_request_for
from openlance.contracts.selectors import contract_for, milestone_for
from openlance.core.apitools import (
    MoneyIn,
    MoneyOut,
    OneOf,
    Page,
    PageQuery,
    StrictSchema,
    paginate,
)
from openlance.core.errors import NotFound
from openlance.disputes import selectors, services
from openlance.disputes.models import DecidedBy, Dispute, DisputeState, Side

router = Router(tags=["disputes"])


class DisputeOut(Schema):
    id: int
    contract_id: int
    milestone_id: int | None = Field(description="A fixed-price dispute's milestone.")
    invoice_id: int | None = Field(description="An hourly dispute's invoice.")
    expense_id: int | None = Field(description="A disputed expense.")
    refund_request_id: int | None = Field(
        description="A refund request the freelancer rejected or left unanswered."
    )
    opened_by: Annotated[str, OneOf(Side)]
    reason: str
    amount: MoneyOut = Field(
        description="The escrow in dispute, or the invoice's amount, frozen until the decision."
    )
    state: Annotated[str, OneOf(DisputeState)]
    opened_at: datetime
    respond_by: datetime = Field(
        description="5 business days after opening; 3 days for an hourly invoice."
    )
    response: str
    responded_at: datetime | None
    mediate_by: datetime | None = Field(description="30 days after the response.")
    proposal_to_freelancer: MoneyOut | None
    proposal_note: str
    proposed_at: datetime | None
    proposal_revision: int = Field(description="Counts the mediator's proposals.")
    client_accepted_at: datetime | None
    freelancer_accepted_at: datetime | None
    to_freelancer: MoneyOut | None = Field(description="Once decided.")
    to_client: MoneyOut | None = Field(description="Once decided.")
    billed_seconds: int | None = Field(
        description="Once an hourly dispute is decided: the invoice's seconds that stand."
    )
    decided_by: Annotated[str, OneOf(DecidedBy)] | None
    decided_at: datetime | None


def _out(dispute: Dispute) -> DisputeOut:
    return DisputeOut(
        id=dispute.pk,
        contract_id=dispute.contract_id,
        milestone_id=dispute.milestone_id,
        invoice_id=dispute.invoice_id,
        expense_id=dispute.expense_id,
        refund_request_id=dispute.refund_request_id,
        opened_by=dispute.opened_by,
        reason=dispute.reason,
        amount=MoneyOut.of_cents(dispute.amount_cents),
        state=dispute.state,
        opened_at=dispute.opened_at,
        respond_by=dispute.respond_by,
        response=dispute.response,
        responded_at=dispute.responded_at,
        mediate_by=dispute.mediate_by,
        proposal_to_freelancer=MoneyOut.of_cents_or_none(dispute.proposal_freelancer_cents),
        proposal_note=dispute.proposal_note,
        proposed_at=dispute.proposed_at,
        proposal_revision=dispute.proposal_revision,
        client_accepted_at=dispute.client_accepted_at,
        freelancer_accepted_at=dispute.freelancer_accepted_at,
        to_freelancer=MoneyOut.of_cents_or_none(dispute.freelancer_cents),
        to_client=MoneyOut.of_cents_or_none(dispute.client_cents),
        billed_seconds=dispute.billed_seconds,
        decided_by=dispute.decided_by or None,
        decided_at=dispute.decided_at,
    )


class DisputeOpenIn(StrictSchema):
    reason: str = Field(min_length=1, max_length=services.MAX_TEXT)


class InvoiceDisputeIn(StrictSchema):
    reason: str = Field(min_length=1, max_length=MAX_DISPUTE_REASON)


class HoursIn(StrictSchema):
    billed_seconds: int = Field(
        ge=0, description="How many of the invoice's billed seconds stand; the rest refunded."
    )
    note: str = Field(min_length=1, max_length=services.MAX_TEXT)


class DisputeResponseIn(StrictSchema):
    response: str = Field(min_length=1, max_length=services.MAX_TEXT)


class ProposalAnswerIn(StrictSchema):
    proposal_revision: int = Field(
        ge=1,
        description="The `proposal_revision` of the proposal you read: a proposal the "
        "mediator replaced since is not answered (409).",
    )


class ShareIn(StrictSchema):
    to_freelancer: MoneyIn = Field(description="The freelancer's share; the rest goes back.")
    note: str = Field(min_length=1, max_length=services.MAX_TEXT)


@router.get(
    "/disputes", response=Page[DisputeOut], summary="Your disputes (the open queue, for mediators)"
)
def dispute_list(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    user = request_user(request)
    disputes = (
        selectors.mediation_queue(mediator=user)
        if is_mediator(user=user)
        else selectors.disputes_of_party(user=user)
    )
    page = paginate(disputes, query)
    page["items"] = [_out(dispute) for dispute in page["items"]]
    return page


def _dispute_of(request: HttpRequest, dispute_id: int) -> Dispute:
    return selectors.dispute_for(user=request_user(request), dispute_id=dispute_id)


@router.get("/disputes/{dispute_id}", response=DisputeOut, summary="A dispute")
@scope_first(_dispute_of)
def dispute_get(request: HttpRequest, dispute_id: int) -> DisputeOut:
    return _out(_dispute_of(request, dispute_id))


@router.post(
    "/milestones/{milestone_id}/disputes",
    response={201: DisputeOut},
    summary="Open a dispute on a milestone's escrow",
)
@scope_first(
    lambda request, milestone_id: milestone_for(
        user=request_user(request), milestone_id=milestone_id
    )
)
def dispute_open(
    request: HttpRequest, milestone_id: int, payload: DisputeOpenIn
) -> Status[DisputeOut]:
    """The client asks for escrow back; the freelancer, for submitted work the client does not
    release. The escrow is frozen; the other side has 5 business days to respond."""
    user = request_user(request)
    milestone = milestone_for(user=user, milestone_id=milestone_id)
    return Status(
        201, _out(services.dispute_open(user=user, milestone=milestone, reason=payload.reason))
    )


class ContractEndIn(StrictSchema):
    reason: str = Field(min_length=1, max_length=services.MAX_TEXT)


@router.post(
    "/contracts/{contract_id}/end-with-disputes",
    response={201: list[DisputeOut]},
    summary="End a fixed-price contract, disputing its escrow",
)
@scope_first(
    lambda request, contract_id: contract_for(user=request_user(request), contract_id=contract_id)
)
def contract_end_disputed(
    request: HttpRequest, contract_id: int, payload: ContractEndIn
) -> Status[list[DisputeOut]]:
    """For when the two sides do not agree on the escrow: open milestones not funded are
    cancelled; those with escrow are disputed (a freelancer gives up funded work never
    submitted); then the contract ends. Returns the disputes opened."""
    user = request_user(request)
    contract = contract_for(user=user, contract_id=contract_id)
    opened = services.contract_end_disputed(user=user, contract=contract, reason=payload.reason)
    return Status(201, [_out(dispute) for dispute in opened])


@router.post(
    "/expenses/{expense_id}/disputes",
    response={201: DisputeOut},
    summary="Open a dispute on a funded expense",
)
@scope_first(
    lambda request, expense_id: expense_for(user=request_user(request), expense_id=expense_id)
)
def expense_dispute_open(
    request: HttpRequest, expense_id: int, payload: DisputeOpenIn
) -> Status[DisputeOut]:
    """The freelancer, to be reimbursed; the client, to have the escrow back. Frozen at once;
    the other side has 5 business days to respond."""
    user = request_user(request)
    expense = expense_for(user=user, expense_id=expense_id)
    return Status(
        201,
        _out(services.expense_dispute_open(user=user, expense=expense, reason=payload.reason)),
    )


@router.post(
    "/refund-requests/{request_id}/dispute",
    response={201: DisputeOut},
    summary="Dispute a rejected refund request (client)",
)
@scope_first(
    lambda request, request_id: refund_request_for(
        user=request_user(request), request_id=request_id
    )
)
def refund_dispute_open(
    request: HttpRequest, request_id: int, payload: DisputeOpenIn
) -> Status[DisputeOut]:
    """Within 30 days of the freelancer's rejection (or of the request lapsing unanswered):
    the freelancer's part of the refund is held from their money (when they hold less, the
    dispute is about what they hold); they have 5 business days to respond, then a mediator
    proposes a split of the refund."""
    user = request_user(request)
    refund_request = refund_request_for(user=user, request_id=request_id)
    return Status(
        201,
        _out(
            services.refund_dispute_open(user=user, request=refund_request, reason=payload.reason)
        ),
    )


@router.post(
    "/invoices/{invoice_id}/dispute",
    response={201: DisputeOut},
    summary="Dispute an hourly invoice (client)",
)
@scope_first(
    lambda request, invoice_id: invoice_for(user=request_user(request), invoice_id=invoice_id)
)
def invoice_dispute_open(
    request: HttpRequest, invoice_id: int, payload: InvoiceDisputeIn
) -> Status[DisputeOut]:
    """Until the invoice's review ends (Friday 23:59 UTC): it is not paid, charged again or
    protected, and the contract is paused; the freelancer has 3 days to respond, then a
    mediator decides which hours are billed."""
    user = request_user(request)
    invoice = invoice_for(user=user, invoice_id=invoice_id)
    return Status(
        201,
        _out(services.invoice_dispute_open(user=user, invoice=invoice, reason=payload.reason)),
    )


@router.post(
    "/disputes/{dispute_id}/concede",
    response=DisputeOut,
    summary="Concede (the side that did not open it)",
)
@scope_first(_dispute_of)
def dispute_concede(request: HttpRequest, dispute_id: int) -> DisputeOut:
    """Decided for the side that opened it, executed at once."""
    return _out(
        services.dispute_concede(
            user=request_user(request), dispute=_dispute_of(request, dispute_id)
        )
    )


@router.post("/disputes/{dispute_id}/respond", response=DisputeOut, summary="Respond (other side)")
@scope_first(_dispute_of)
def dispute_respond(
    request: HttpRequest, dispute_id: int, payload: DisputeResponseIn
) -> DisputeOut:
    return _out(
        services.dispute_respond(
            user=request_user(request),
            dispute=_dispute_of(request, dispute_id),
            response=payload.response,
        )
    )


@router.post(
    "/disputes/{dispute_id}/proposal/accept", response=DisputeOut, summary="Accept the split"
)
@scope_first(_dispute_of)
def dispute_proposal_accept(
    request: HttpRequest, dispute_id: int, payload: ProposalAnswerIn
) -> DisputeOut:
    """Once both sides accept, the split is executed."""
    return _out(
        services.dispute_proposal_answer(
            user=request_user(request),
            dispute=_dispute_of(request, dispute_id),
            accept=True,
            revision=payload.proposal_revision,
        )
    )


@router.post(
    "/disputes/{dispute_id}/proposal/reject",
    response=DisputeOut,
    summary="Reject the split (to arbitration)",
)
@scope_first(_dispute_of)
def dispute_proposal_reject(
    request: HttpRequest, dispute_id: int, payload: ProposalAnswerIn
) -> DisputeOut:
    return _out(
        services.dispute_proposal_answer(
            user=request_user(request),
            dispute=_dispute_of(request, dispute_id),
            accept=False,
            revision=payload.proposal_revision,
        )
    )


def _mediator_dispute(request: HttpRequest, dispute_id: int) -> Dispute:
    """A dispute the caller mediates: a mediator, not a party to its contract."""
    user = request_user(request)
    dispute = _dispute_of(request, dispute_id)
    if not is_mediator(user=user) or user.pk in (
        dispute.contract.client_id,
        dispute.contract.freelancer_id,
    ):
        raise NotFound("There is no such dispute.")
    return dispute


@router.post(
    "/disputes/{dispute_id}/proposal", response=DisputeOut, summary="Propose a split (mediator)"
)
@scope_first(_mediator_dispute)
def dispute_propose(request: HttpRequest, dispute_id: int, payload: ShareIn) -> DisputeOut:
    return _out(
        services.dispute_propose(
            mediator=request_user(request),
            dispute=_mediator_dispute(request, dispute_id),
            freelancer_cents=payload.to_freelancer.to_money().cents,
            note=payload.note,
        )
    )


@router.post(
    "/disputes/{dispute_id}/arbitration",
    response=DisputeOut,
    summary="Record the arbitration (mediator)",
)
@scope_first(_mediator_dispute)
def dispute_arbitrate(request: HttpRequest, dispute_id: int, payload: ShareIn) -> DisputeOut:
    """Executed at once: the freelancer's share released, the rest refunded."""
    return _out(
        services.dispute_arbitrate(
            mediator=request_user(request),
            dispute=_mediator_dispute(request, dispute_id),
            freelancer_cents=payload.to_freelancer.to_money().cents,
            note=payload.note,
        )
    )


@router.post(
    "/disputes/{dispute_id}/hours",
    response=DisputeOut,
    summary="Decide an invoice's hours (mediator)",
)
@scope_first(_mediator_dispute)
def dispute_decide_hours(request: HttpRequest, dispute_id: int, payload: HoursIn) -> DisputeOut:
    """Executed at once: the hours that stand paid, the rest refunded (or never charged)."""
    return _out(
        services.dispute_decide_hours(
            mediator=request_user(request),
            dispute=_mediator_dispute(request, dispute_id),
            billed_seconds=payload.billed_seconds,
            note=payload.note,
        )
    )
