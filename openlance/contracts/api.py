"""Contracts and milestones API (tags `contracts`, `milestones`): the contract room's reads
and every milestone and amendment action. Both parties see a contract; anyone else a 404."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status

from openlance.accounts.auth import request_user, scope_first
from openlance.accounts.models import User
from openlance.contracts import amendments, endings, selectors
from openlance.contracts.milestones import funding, release, submissions
from openlance.contracts.models import (
    MAX_CRITERIA,
    MAX_WEEKLY_HOURS,
    Amendment,
    AmendmentKind,
    AmendmentState,
    Contract,
    ContractKind,
    ContractState,
    Milestone,
    MilestoneState,
    Submission,
    SubmissionFile,
)
from openlance.core.apitools import (
    MoneyIn,
    MoneyOut,
    OneOf,
    Page,
    PageQuery,
    StrictSchema,
    paginate,
)
from openlance.core.errors import InvalidInput, NotFound
from openlance.core.problems import problems
from openlance.messaging.models import Message
from openlance.messaging.selectors import message_for

contracts_router = Router(tags=["contracts"])
milestones_router = Router(tags=["milestones"])

ContractStateValue = Annotated[str, OneOf(ContractState)]


class CriterionOut(Schema):
    id: int
    text: str


class FileOut(Schema):
    id: int
    name: str
    size_bytes: int
    content_type: str
    url: str = Field(description="Download link, for the contract's two parties only.")


class SubmissionOut(Schema):
    id: int
    message: str
    criteria_met: list[int] = Field(description="Ids of the criteria ticked as met.")
    was_funded: bool
    created_at: datetime
    changes_requested_at: datetime | None
    changes_message: str
    files: list[FileOut]


class ReleaseTierOut(Schema):
    rate_bp: int
    amount: MoneyOut
    fee: MoneyOut


class ReleaseOut(Schema):
    gross: MoneyOut
    fee: MoneyOut
    net: MoneyOut
    automatic: bool
    tiers: list[ReleaseTierOut]


class ContractMilestoneOut(Schema):
    id: int
    contract_id: int
    position: int
    description: str
    amount: MoneyOut
    due_date: date | None
    state: Annotated[str, OneOf(MilestoneState)]
    funded: MoneyOut
    in_escrow: MoneyOut
    released: MoneyOut
    refunded: MoneyOut
    carried_in: MoneyOut = Field(description="Kept in escrow from an earlier milestone.")
    carried_out: MoneyOut = Field(description="Kept in escrow for a later milestone.")
    submitted_at: datetime | None
    auto_approve_at: datetime | None
    approved_at: datetime | None
    criteria: list[CriterionOut]
    submissions: list[SubmissionOut]
    releases: list[ReleaseOut]


class AmendmentOut(Schema):
    id: int
    contract_id: int
    kind: Annotated[str, OneOf(AmendmentKind)] = Field(
        description="milestone: a new milestone (fixed price); hourly_terms: a new rate and "
        "weekly limit (hourly)."
    )
    proposed_by_id: int
    description: str
    amount: MoneyOut | None = Field(description="The new milestone's amount.")
    due_date: date | None
    hourly_rate: MoneyOut | None = Field(description="The new hourly rate.")
    weekly_limit_hours: int | None = Field(description="The new weekly limit.")
    effective_week: date | None = Field(
        description="Once accepted: the Monday of the first week billed at the new terms."
    )
    criteria: list[str]
    note: str
    state: Annotated[str, OneOf(AmendmentState)]
    created_at: datetime
    responded_at: datetime | None
    milestone_id: int | None = Field(description="The milestone a new-milestone amendment added.")
    changes_milestone_id: int | None = Field(
        description="The milestone a milestone_change amendment changes."
    )
    source_message_id: int | None = Field(
        description="The chat message it was proposed from, if it was."
    )


class ContractSummaryOut(Schema):
    id: int
    title: str
    kind: Annotated[str, OneOf(ContractKind)]
    state: ContractStateValue
    role: Literal["client", "freelancer"] = Field(description="Your side of the contract.")
    client_id: int
    freelancer_id: int
    job_id: int
    started_at: datetime
    ended_at: datetime | None


class ContractOut(ContractSummaryOut):
    description: str
    start_date: date
    total: MoneyOut
    in_escrow: MoneyOut
    released: MoneyOut
    refunded: MoneyOut
    milestones: list[ContractMilestoneOut]
    amendments: list[AmendmentOut]


class ContractsQuery(PageQuery):
    role: Literal["client", "freelancer"] | None = None
    state: ContractStateValue | None = None


class FundIn(StrictSchema):
    payment_method: str = Field(
        min_length=1,
        max_length=100,
        description='"balance" to pay from your funding balance, or a card token '
        "(pm_card_visa in the sandbox).",
    )


class ApproveIn(StrictSchema):
    amount: MoneyIn | None = Field(
        default=None, description="Release less than what is in escrow; omit to release all."
    )
    remainder: Literal["keep", "refund"] = Field(
        default="refund",
        description="What happens to the rest of a partial release.",
    )


class ChangesRequestIn(StrictSchema):
    message: str = Field(min_length=1, max_length=submissions.MAX_MESSAGE)


class HourlyTermsIn(StrictSchema):
    hourly_rate: MoneyIn
    weekly_limit_hours: int = Field(ge=1, le=MAX_WEEKLY_HOURS)
    note: str = Field(default="", max_length=2000)
    source_message_id: int | None = Field(
        default=None,
        description="The message of the contract's conversation it is proposed from.",
    )


class AmendmentIn(StrictSchema):
    description: str = Field(max_length=500)
    amount: MoneyIn
    due_date: date | None = None
    criteria: list[str] = Field(default_factory=list, max_length=MAX_CRITERIA)
    note: str = Field(default="", max_length=2000)
    source_message_id: int | None = Field(
        default=None,
        description="The message of the contract's conversation it is proposed from.",
    )


class MilestoneChangeIn(StrictSchema):
    milestone_id: int
    amount: MoneyIn | None = Field(default=None, description="Only while it is not funded.")
    due_date: date | None = None
    note: str = Field(default="", max_length=2000)
    source_message_id: int | None = Field(
        default=None,
        description="The message of the contract's conversation it is proposed from.",
    )


def _file(row: SubmissionFile) -> FileOut:
    return FileOut(
        id=row.pk,
        name=row.name,
        size_bytes=row.size_bytes,
        content_type=row.content_type,
        url=reverse("contract_submission_file", args=[row.pk]),
    )


def _submission(submission: Submission) -> SubmissionOut:
    return SubmissionOut(
        id=submission.pk,
        message=submission.message,
        criteria_met=[int(pk) for pk in submission.criteria_met],
        was_funded=submission.was_funded,
        created_at=submission.created_at,
        changes_requested_at=submission.changes_requested_at,
        changes_message=submission.changes_message,
        files=[_file(row) for row in submission.files.all()],
    )


def _milestone(milestone: Milestone, releases: list[selectors.Release]) -> ContractMilestoneOut:
    return ContractMilestoneOut(
        id=milestone.pk,
        contract_id=milestone.contract_id,
        position=milestone.position,
        description=milestone.description,
        amount=MoneyOut.of_cents(milestone.amount_cents),
        due_date=milestone.due_date,
        state=milestone.state,
        funded=MoneyOut.of_cents(milestone.funded_cents),
        in_escrow=MoneyOut.of_cents(milestone.in_escrow_cents),
        released=MoneyOut.of_cents(milestone.released_cents),
        refunded=MoneyOut.of_cents(milestone.refunded_cents),
        carried_in=MoneyOut.of_cents(milestone.carried_in_cents),
        carried_out=MoneyOut.of_cents(milestone.carried_out_cents),
        submitted_at=milestone.submitted_at,
        auto_approve_at=milestone.auto_approve_at,
        approved_at=milestone.approved_at,
        criteria=[CriterionOut(id=c.pk, text=c.text) for c in milestone.criteria.all()],
        submissions=[_submission(s) for s in milestone.submissions.all()],
        releases=[
            ReleaseOut(
                gross=MoneyOut.of_cents(r.gross_cents),
                fee=MoneyOut.of_cents(r.fee_cents),
                net=MoneyOut.of_cents(r.net_cents),
                automatic=r.automatic,
                tiers=[
                    ReleaseTierOut(
                        rate_bp=t.rate_bp,
                        amount=MoneyOut.of_cents(t.amount_cents),
                        fee=MoneyOut.of_cents(t.fee_cents),
                    )
                    for t in r.tiers
                ],
            )
            for r in releases
        ],
    )


def _amendment(amendment: Amendment) -> AmendmentOut:
    return AmendmentOut(
        id=amendment.pk,
        contract_id=amendment.contract_id,
        kind=amendment.kind,
        proposed_by_id=amendment.proposed_by_id,
        description=amendment.description,
        amount=MoneyOut.of_cents_or_none(amendment.amount_cents),
        due_date=amendment.due_date,
        hourly_rate=MoneyOut.of_cents_or_none(amendment.hourly_rate_cents),
        weekly_limit_hours=amendment.weekly_limit_hours,
        effective_week=amendment.effective_week,
        criteria=[str(text) for text in amendment.criteria],
        note=amendment.note,
        state=amendment.state,
        created_at=amendment.created_at,
        responded_at=amendment.responded_at,
        milestone_id=amendment.milestone_id,
        changes_milestone_id=amendment.changes_milestone_id,
        source_message_id=amendment.source_message_id,
    )


def _summary_fields(contract: Contract, user: User) -> dict[str, Any]:
    return {
        "id": contract.pk,
        "title": contract.title,
        "kind": contract.kind,
        "state": contract.state,
        "role": "client" if contract.client_id == user.pk else "freelancer",
        "client_id": contract.client_id,
        "freelancer_id": contract.freelancer_id,
        "job_id": contract.job_id,
        "started_at": contract.started_at,
        "ended_at": contract.ended_at,
    }


def _contract(contract_id: int, user: User) -> ContractOut:
    contract = selectors.contract_for(user=user, contract_id=contract_id)
    totals = selectors.contract_totals(contract=contract)
    releases = selectors.contract_releases(contract=contract)
    return ContractOut(
        **_summary_fields(contract, user),
        description=contract.description,
        start_date=contract.start_date,
        total=MoneyOut.of_cents(totals.amount_cents),
        in_escrow=MoneyOut.of_cents(totals.in_escrow_cents),
        released=MoneyOut.of_cents(totals.released_cents),
        refunded=MoneyOut.of_cents(totals.refunded_cents),
        milestones=[_milestone(m, releases.get(m.pk, [])) for m in contract.milestones.all()],
        amendments=[_amendment(a) for a in contract.amendments.all()],
    )


def _milestone_out(milestone_id: int, user: User) -> ContractMilestoneOut:
    milestone = selectors.milestone_for(user=user, milestone_id=milestone_id)
    contract = selectors.contract_for(user=user, contract_id=milestone.contract_id)
    releases = selectors.contract_releases(contract=contract)
    fresh = next(m for m in contract.milestones.all() if m.pk == milestone_id)
    return _milestone(fresh, releases.get(milestone_id, []))


# --- contracts ---------------------------------------------------------------------------


@contracts_router.get("/contracts", response=Page[ContractSummaryOut], summary="Your contracts")
def contract_list(request: HttpRequest, query: Query[ContractsQuery]) -> dict[str, Any]:
    """As client and as freelancer; filter with `role` and `state`."""
    user = request_user(request)
    page = paginate(selectors.contracts_for(user=user, role=query.role, state=query.state), query)
    page["items"] = [ContractSummaryOut(**_summary_fields(c, user)) for c in page["items"]]
    return page


@contracts_router.get("/contracts/{contract_id}", response=ContractOut, summary="A contract")
def contract_detail(request: HttpRequest, contract_id: int) -> ContractOut:
    """Terms, milestones with their money, submissions, releases with their fee breakdown,
    and amendments."""
    return _contract(contract_id, request_user(request))


@contracts_router.post(
    "/contracts/{contract_id}/end", response=ContractOut, summary="End a contract"
)
def contract_end(request: HttpRequest, contract_id: int) -> ContractOut:
    """Hourly: at any time. Fixed price: once every milestone is approved or cancelled;
    escrow left over is refunded, and the initiation fee too when nothing was ever
    released."""
    user = request_user(request)
    contract = selectors.contract_for(user=user, contract_id=contract_id)
    endings.contract_end(user=user, contract=contract)
    return _contract(contract_id, user)


@contracts_router.post(
    "/contracts/{contract_id}/amendments",
    response={201: AmendmentOut},
    summary="Propose a new milestone",
)
@scope_first(
    lambda request, contract_id: selectors.contract_for(
        user=request_user(request), contract_id=contract_id
    )
)
def amendment_create(
    request: HttpRequest, contract_id: int, payload: AmendmentIn
) -> Status[AmendmentOut]:
    """It joins the contract only when the other side accepts it."""
    user = request_user(request)
    contract = selectors.contract_for(user=user, contract_id=contract_id)
    amendment = amendments.amendment_propose(
        user=user,
        contract=contract,
        description=payload.description,
        amount=payload.amount.to_money(),
        due_date=payload.due_date,
        criteria=payload.criteria,
        note=payload.note,
        source_message=_message(request, payload.source_message_id),
    )
    return Status(201, _amendment(amendment))


@contracts_router.post(
    "/contracts/{contract_id}/hourly-terms",
    response={201: AmendmentOut},
    summary="Propose a new rate and weekly limit",
)
@scope_first(
    lambda request, contract_id: selectors.contract_for(
        user=request_user(request), contract_id=contract_id
    )
)
def hourly_terms_create(
    request: HttpRequest, contract_id: int, payload: HourlyTermsIn
) -> Status[AmendmentOut]:
    """Either side of an hourly contract, running or paused. Accepted, the new terms bill from
    the Monday after; the week being worked keeps its terms. One change waits at a time."""
    user = request_user(request)
    contract = selectors.contract_for(user=user, contract_id=contract_id)
    amendment = amendments.amendment_propose_hourly_terms(
        user=user,
        contract=contract,
        hourly_rate=payload.hourly_rate.to_money(),
        weekly_limit_hours=payload.weekly_limit_hours,
        note=payload.note,
        source_message=_message(request, payload.source_message_id),
    )
    return Status(201, _amendment(amendment))


@contracts_router.post(
    "/contracts/{contract_id}/milestone-changes",
    response={201: AmendmentOut},
    summary="Propose a new amount or due date for a milestone",
)
@scope_first(
    lambda request, contract_id: selectors.contract_for(
        user=request_user(request), contract_id=contract_id
    )
)
def milestone_change_create(
    request: HttpRequest, contract_id: int, payload: MilestoneChangeIn
) -> Status[AmendmentOut]:
    """Either side of a running fixed-price contract: a new amount while the milestone is not
    funded, a new due date while it is open. It applies when the other side accepts it."""
    user = request_user(request)
    contract = selectors.contract_for(user=user, contract_id=contract_id)
    milestone = contract.milestones.filter(pk=payload.milestone_id).first()
    if milestone is None:
        raise NotFound("There is no such milestone on this contract.")
    amendment = amendments.amendment_propose_milestone_change(
        user=user,
        contract=contract,
        milestone=milestone,
        amount=payload.amount.to_money() if payload.amount else None,
        due_date=payload.due_date,
        note=payload.note,
        source_message=_message(request, payload.source_message_id),
    )
    return Status(201, _amendment(amendment))


def _message(request: HttpRequest, message_id: int | None) -> Message | None:
    """The chat message a change is proposed from (a 404 for a message the user cannot see;
    the service checks it is the contract's)."""
    if message_id is None:
        return None
    return message_for(user=request_user(request), message_id=message_id)


def _amendment_action(request: HttpRequest, amendment_id: int, action: Any) -> AmendmentOut:
    user = request_user(request)
    amendment = selectors.amendment_for(user=user, amendment_id=amendment_id)
    return _amendment(action(user=user, amendment=amendment))


@contracts_router.post(
    "/amendments/{amendment_id}/accept", response=AmendmentOut, summary="Accept (other side)"
)
def amendment_accept(request: HttpRequest, amendment_id: int) -> AmendmentOut:
    return _amendment_action(request, amendment_id, amendments.amendment_accept)


@contracts_router.post(
    "/amendments/{amendment_id}/decline", response=AmendmentOut, summary="Decline (other side)"
)
def amendment_decline(request: HttpRequest, amendment_id: int) -> AmendmentOut:
    return _amendment_action(request, amendment_id, amendments.amendment_decline)


@contracts_router.post(
    "/amendments/{amendment_id}/withdraw", response=AmendmentOut, summary="Withdraw (proposer)"
)
def amendment_withdraw(request: HttpRequest, amendment_id: int) -> AmendmentOut:
    return _amendment_action(request, amendment_id, amendments.amendment_withdraw)


# --- milestones --------------------------------------------------------------------------


def _milestone_of(request: HttpRequest, milestone_id: int) -> Milestone:
    return selectors.milestone_for(user=request_user(request), milestone_id=milestone_id)


@milestones_router.post(
    "/milestones/{milestone_id}/fund",
    response=ContractMilestoneOut,
    summary="Fund into escrow (client)",
    openapi_extra=problems(402, 502),
)
@scope_first(_milestone_of)
def milestone_fund(
    request: HttpRequest, milestone_id: int, payload: FundIn
) -> ContractMilestoneOut:
    """Charges the amount plus the marketplace fee (and the initiation fee with the
    contract's first funding). A declined card is a 402 with nothing charged. Send an
    `Idempotency-Key`; funding a funded milestone again changes nothing."""
    user = request_user(request)
    milestone = selectors.milestone_for(user=user, milestone_id=milestone_id)
    funding.milestone_fund(client=user, milestone=milestone, payment_method=payload.payment_method)
    return _milestone_out(milestone_id, user)


_SUBMIT_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["message"],
                "properties": {
                    "message": {"type": "string", "maxLength": submissions.MAX_MESSAGE},
                    "criteria_met": {
                        "type": "array",
                        "items": {"type": "integer"},
                        "description": "Ids of the acceptance criteria met (repeat the field).",
                    },
                    "acknowledge_unfunded": {
                        "type": "boolean",
                        "description": "Required to submit on an unfunded milestone.",
                    },
                    "files": {
                        "type": "array",
                        "maxItems": submissions.MAX_SUBMISSION_FILES,
                        "items": {"type": "string", "format": "binary"},
                        "description": "PDF, JPEG, PNG, WebP or GIF; at most 25 MB each.",
                    },
                },
            }
        }
    },
}


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


@milestones_router.post(
    "/milestones/{milestone_id}/submit",
    response=ContractMilestoneOut,
    summary="Submit (or resubmit) the work (freelancer; multipart)",
    openapi_extra={"requestBody": _SUBMIT_BODY},
)
def milestone_submit(request: HttpRequest, milestone_id: int) -> ContractMilestoneOut:
    """Work on an unfunded milestone is not protected: send `acknowledge_unfunded=true`.
    The client then has 14 days to answer before it is approved automatically."""
    user = request_user(request)
    milestone = selectors.milestone_for(user=user, milestone_id=milestone_id)
    if request.content_type != "multipart/form-data":
        raise InvalidInput("Send multipart form data with a message and optional files.")
    try:
        criteria = [int(value) for value in request.POST.getlist("criteria_met")]
    except ValueError:
        raise InvalidInput(
            "Criteria are given by their ids.", field_errors={"criteria_met": ["Whole numbers."]}
        ) from None
    submissions.milestone_submit(
        freelancer=user,
        milestone=milestone,
        message=request.POST.get("message", ""),
        files=request.FILES.getlist("files"),
        criteria_met=criteria,
        acknowledge_unfunded=_truthy(request.POST.get("acknowledge_unfunded")),
    )
    return _milestone_out(milestone_id, user)


@milestones_router.post(
    "/milestones/{milestone_id}/approve",
    response=ContractMilestoneOut,
    summary="Approve and release (client)",
)
@scope_first(_milestone_of)
def milestone_approve(
    request: HttpRequest, milestone_id: int, payload: ApproveIn
) -> ContractMilestoneOut:
    """Releases everything in escrow, or `amount` of it with the rest kept for the next
    milestone or refunded. The service fee is taken on release; the net goes to the
    freelancer's pending balance."""
    user = request_user(request)
    milestone = selectors.milestone_for(user=user, milestone_id=milestone_id)
    release.milestone_approve(
        client=user,
        milestone=milestone,
        amount=payload.amount.to_money() if payload.amount else None,
        remainder=payload.remainder,
    )
    return _milestone_out(milestone_id, user)


@milestones_router.post(
    "/milestones/{milestone_id}/request-changes",
    response=ContractMilestoneOut,
    summary="Request changes (client)",
)
@scope_first(_milestone_of)
def milestone_request_changes(
    request: HttpRequest, milestone_id: int, payload: ChangesRequestIn
) -> ContractMilestoneOut:
    user = request_user(request)
    milestone = selectors.milestone_for(user=user, milestone_id=milestone_id)
    submissions.milestone_request_changes(client=user, milestone=milestone, message=payload.message)
    return _milestone_out(milestone_id, user)


@milestones_router.post(
    "/milestones/{milestone_id}/cancel", response=ContractMilestoneOut, summary="Cancel a milestone"
)
def milestone_cancel(request: HttpRequest, milestone_id: int) -> ContractMilestoneOut:
    """Either side cancels an unfunded milestone; a funded one only the freelancer, which
    refunds its escrow to the client."""
    user = request_user(request)
    milestone = selectors.milestone_for(user=user, milestone_id=milestone_id)
    release.milestone_cancel(user=user, milestone=milestone)
    return _milestone_out(milestone_id, user)
