from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Query, Router, Schema, Status, UploadedFile

from openlance.accounts.auth import request_user, scope_first
from openlance.accounts.models import User
from openlance.core.apitools import (
    MoneyIn,
    MoneyOut,
    OneOf,
    Page,
    PageQuery,
    StrictSchema,
    paginate,
    trusted_response,
)
from openlance.core.errors import NotFound, require_id
from openlance.core.problems import problems
from openlance.core.ratelimits import rate_check
from openlance.jobs.api import JobBudgetType, JobDuration, job_json
from openlance.jobs.models import Duration, JobPost
from openlance.jobs.selectors import job_of_client
from openlance.messaging.limits import MESSAGES
from openlance.messaging.selectors import conversation_ids_by_topic
from openlance.proposals import selectors, services
from openlance.proposals.limits import PROPOSALS
from openlance.proposals.models import (
    DeclineReason,
    Invitation,
    InvitationState,
    Proposal,
    ProposalAttachment,
    ProposalState,
)
from openlance.proposals.quotes import proposal_quote

router = Router(tags=["proposals"])
invitations_router = Router(tags=["invitations"])

ProposalStateValue = Annotated[str, OneOf(ProposalState)]
InvitationStateValue = Annotated[str, OneOf(InvitationState)]


class ProposalMilestoneIn(StrictSchema):
    description: str = Field(max_length=200)
    amount: MoneyIn
    due_on: date | None = None


class ProposalIn(StrictSchema):
    profile_id: int | None = Field(
        default=None, description="One of your profiles; the general one when left out."
    )
    cover_letter: str = Field(max_length=5000)
    bid_type: JobBudgetType = Field(description="The post's budget type.")
    bid: MoneyIn | None = Field(default=None, description="Fixed-price bid, at least $5.")
    hourly_rate: MoneyIn | None = Field(default=None, description="Hourly bid, at least $3.")
    duration: Annotated[str, OneOf(Duration, checked_by_service=True)]
    milestones: list[ProposalMilestoneIn] = Field(
        default_factory=list, max_length=10, description="Optional; must add up to the bid."
    )
    answers: list[str] = Field(
        default_factory=list, max_length=5, description="One per screening question, in order."
    )
    expected_cost: int | None = Field(
        default=None,
        ge=0,
        le=1000,
        description="The Connects cost you were shown; refused (409) if it changed since.",
    )

    def to_draft(self) -> services.ProposalDraft:
        return services.ProposalDraft(
            profile_id=self.profile_id,
            cover_letter=self.cover_letter,
            bid_type=self.bid_type,
            duration=self.duration,
            bid_cents=None if self.bid is None else self.bid.to_money().cents,
            hourly_rate_cents=(
                None if self.hourly_rate is None else self.hourly_rate.to_money().cents
            ),
            milestones=[
                services.MilestoneDraft(
                    description=m.description,
                    amount_cents=m.amount.to_money().cents,
                    due_on=m.due_on,
                )
                for m in self.milestones
            ],
            answers=self.answers,
            expected_cost=self.expected_cost,
        )


class ProposalMilestoneOut(Schema):
    position: int
    description: str
    amount: MoneyOut
    due_on: date | None


class AnswerOut(Schema):
    question: str
    answer: str


class ProposalAttachmentOut(Schema):
    id: int
    name: str
    size_bytes: int
    url: str


class ClientOut(Schema):
    id: int
    name: str
    company: str


class ProposalOut(Schema):
    id: int
    job_id: int
    job_title: str
    freelancer_id: int
    freelancer_name: str
    profile_id: int | None
    profile_title: str
    cover_letter: str
    bid_type: JobBudgetType
    bid: MoneyOut | None
    hourly_rate: MoneyOut | None
    duration: JobDuration
    milestones: list[ProposalMilestoneOut]
    answers: list[AnswerOut]
    attachments: list[ProposalAttachmentOut]
    connects_cost: int
    invited: bool
    state: ProposalStateValue
    interview_started_at: datetime | None
    conversation_id: int | None
    client: ClientOut | None = Field(
        description="Who the client is; shown to the freelancer once the interview started."
    )
    shortlisted: bool | None = Field(description="Client view only.")
    archived: bool | None = Field(description="Client view only.")
    decline_reason: str | None = Field(description="Client view only.")
    created_at: datetime
    updated_at: datetime


class ProposalCostOut(Schema):
    cost: int = Field(description="Connects this proposal costs you now.")
    policy_cost: int = Field(description="What the policy in force charges for this post.")
    balance: int
    free_because_invited: bool
    affordable: bool


class MyProposalsQuery(PageQuery):
    state: ProposalStateValue | None = None


class JobProposalsQuery(PageQuery):
    tab: Literal["all", "shortlisted", "messaged", "hired", "archived"] = "all"


class ProposalDeclineIn(StrictSchema):
    reason: str = Field(default="", max_length=1000)


class ProposalMessageIn(StrictSchema):
    body: str = Field(max_length=10_000)


class ProposalMessageOut(Schema):
    id: int
    conversation_id: int
    created_at: datetime


class InvitationIn(StrictSchema):
    freelancer_id: int = Field(description="The freelancer's user id.")
    message: str = Field(max_length=2000)


class InvitationOut(Schema):
    id: int
    job_id: int
    job_title: str
    freelancer_id: int
    message: str
    state: InvitationStateValue
    decline_reason: Annotated[str, OneOf(DeclineReason, "")] = Field(
        description="Why the freelancer declined; empty unless declined."
    )
    created_at: datetime
    responded_at: datetime | None
    proposal_id: int | None


class InvitationsQuery(PageQuery):
    state: InvitationStateValue | None = None


class InvitationDeclineIn(StrictSchema):
    reason: Annotated[str, OneOf(DeclineReason)]
    note: str = Field(default="", max_length=1000)


def _attachment(attachment: ProposalAttachment) -> ProposalAttachmentOut:
    return ProposalAttachmentOut(
        id=attachment.pk,
        name=attachment.name,
        size_bytes=attachment.size_bytes,
        url=attachment.file.url,
    )


def _proposals(proposals: list[Proposal], viewer: User) -> list[ProposalOut]:
    """Proposals from `selectors.proposals_with_details`, with their conversations looked up
    together, so a page costs the same few queries however long it is."""
    conversations = conversation_ids_by_topic(
        topics=[p.topic for p in proposals if p.interview_started]
    )
    return [_proposal(p, viewer, conversations) for p in proposals]


def _proposal(proposal: Proposal, viewer: User, conversations: dict[str, int]) -> ProposalOut:
    as_client = proposal.job.client_id == viewer.pk
    client = None
    if as_client or proposal.interview_started:
        owner = proposal.job.client
        # Loaded with the proposal; a client who never filled in their profile has none.
        profile = getattr(owner, "client_profile", None)
        client = ClientOut(
            id=owner.pk, name=owner.display_name, company=profile.company_name if profile else ""
        )
    return ProposalOut(
        id=proposal.pk,
        job_id=proposal.job_id,
        job_title=proposal.job.title,
        freelancer_id=proposal.freelancer_id,
        freelancer_name=proposal.freelancer.public_name,
        profile_id=proposal.profile_id,
        profile_title=proposal.profile.title if proposal.profile else "",
        cover_letter=proposal.cover_letter,
        bid_type=proposal.bid_type,
        bid=MoneyOut.of_cents_or_none(proposal.bid_cents),
        hourly_rate=MoneyOut.of_cents_or_none(proposal.hourly_rate_cents),
        duration=proposal.duration,
        milestones=[
            ProposalMilestoneOut(
                position=m.position,
                description=m.description,
                amount=MoneyOut.of_cents(m.amount_cents),
                due_on=m.due_on,
            )
            for m in proposal.milestones.all()
        ],
        answers=[AnswerOut(question=a.question, answer=a.answer) for a in proposal.answers.all()],
        attachments=[_attachment(a) for a in proposal.attachments.all()],
        connects_cost=proposal.connects_cost,
        invited=proposal.invitation_id is not None,
        state=proposal.state,
        interview_started_at=proposal.interview_started_at,
        conversation_id=conversations.get(proposal.topic) if proposal.interview_started else None,
        client=client,
        shortlisted=proposal.shortlisted if as_client else None,
        archived=proposal.archived if as_client else None,
        decline_reason=proposal.decline_reason if as_client else None,
        created_at=proposal.created_at,
        updated_at=proposal.updated_at,
    )


def _fresh(proposal_id: int, viewer: User) -> ProposalOut:
    proposal = selectors.proposal_for_viewer(proposal_id=proposal_id, viewer=viewer)
    return _proposals([proposal], viewer)[0]


def _invitations(invitations: list[Invitation]) -> list[InvitationOut]:
    proposals = selectors.proposal_ids_by_invitation(invitations=invitations)
    return [_invitation(i, proposals.get(i.pk)) for i in invitations]


def _invitation(invitation: Invitation, proposal_id: int | None) -> InvitationOut:
    return InvitationOut(
        id=invitation.pk,
        job_id=invitation.job_id,
        job_title=invitation.job.title,
        freelancer_id=invitation.freelancer_id,
        message=invitation.message,
        state=invitation.state,
        decline_reason=invitation.decline_reason,
        created_at=invitation.created_at,
        responded_at=invitation.responded_at,
        proposal_id=proposal_id,
    )


@router.post(
    "/jobs/{job_id}/proposals",
    response={201: ProposalOut},
    summary="Send a proposal (spends Connects; free when invited)",
    openapi_extra=problems(429),
)
@scope_first(
    lambda request, job_id: selectors.job_for_freelancer(
        job_id=job_id, viewer=request_user(request)
    )
)
def proposal_create(request: HttpRequest, job_id: int, payload: ProposalIn) -> Status[ProposalOut]:
    """Costs the Connects of `GET /jobs/{job_id}/proposal-cost`; send `expected_cost` to be
    sure. Attach files afterwards with `POST /proposals/{id}/attachments`."""
    user = request_user(request)
    job = selectors.job_for_freelancer(job_id=job_id, viewer=user)
    rate_check(request, PROPOSALS)
    proposal = services.proposal_submit(freelancer=user, job=job, draft=payload.to_draft())
    return Status(201, _fresh(proposal.pk, user))


@router.get(
    "/jobs/{job_id}/proposal-cost",
    response=ProposalCostOut,
    summary="What a proposal to this post costs",
)
def proposal_cost(request: HttpRequest, job_id: int) -> ProposalCostOut:
    user = request_user(request)
    job = selectors.job_for_freelancer(job_id=job_id, viewer=user)
    quote = proposal_quote(job=job, freelancer=user)
    return ProposalCostOut(
        cost=quote.cost,
        policy_cost=quote.policy_cost,
        balance=quote.balance,
        free_because_invited=quote.invited,
        affordable=quote.affordable,
    )


@router.get("/proposals", response=Page[ProposalOut], summary="Your proposals")
def my_proposals(request: HttpRequest, query: Query[MyProposalsQuery]) -> dict[str, Any]:
    user = request_user(request)
    page = paginate(selectors.proposals_of_freelancer(freelancer=user, state=query.state), query)
    page["items"] = _proposals(list(page["items"]), user)
    return page


@router.get("/proposals/{proposal_id}", response=ProposalOut, summary="A proposal")
def proposal_detail(request: HttpRequest, proposal_id: int) -> ProposalOut:
    """To its freelancer and to the post's client."""
    return _fresh(proposal_id, request_user(request))


@router.post(
    "/proposals/{proposal_id}/withdraw",
    response=ProposalOut,
    summary="Withdraw your proposal (no refund)",
)
def proposal_withdraw(request: HttpRequest, proposal_id: int) -> ProposalOut:
    user = request_user(request)
    proposal = selectors.proposal_of_freelancer(proposal_id=proposal_id, freelancer=user)
    services.proposal_withdraw(freelancer=user, proposal=proposal)
    return _fresh(proposal_id, user)


@router.post(
    "/proposals/{proposal_id}/attachments",
    response={201: ProposalAttachmentOut},
    summary="Attach a PDF or image to your proposal",
)
@scope_first(
    lambda request, proposal_id: selectors.proposal_of_freelancer(
        proposal_id=proposal_id, freelancer=request_user(request)
    )
)
def proposal_attachment(
    request: HttpRequest, proposal_id: int, file: File[UploadedFile]
) -> Status[ProposalAttachmentOut]:
    user = request_user(request)
    proposal = selectors.proposal_of_freelancer(proposal_id=proposal_id, freelancer=user)
    attachment = services.proposal_attachment_add(freelancer=user, proposal=proposal, upload=file)
    return Status(201, _attachment(attachment))


def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    """Published public posts to anyone (closed ones say so); drafts only to their client;
    an invite-only post to its client and to the freelancers invited to it. Served at
    `GET /jobs/{job_id}` on the jobs router (wired in `openlance.api.urls`): it is written
    here because invitations belong to proposals."""
    viewer = request.user if isinstance(request.user, User) else AnonymousUser()
    return trusted_response(
        job_json(selectors.job_data_for_freelancer(job_id=job_id, viewer=viewer))
    )


def _client_job(request: HttpRequest, job_id: int) -> JobPost:
    return job_of_client(job_id=require_id(job_id, "job post"), client=request_user(request))


@router.get(
    "/jobs/{job_id}/proposals",
    response=Page[ProposalOut],
    summary="Proposals to your post, best match first",
)
@scope_first(_client_job)
def job_proposals(
    request: HttpRequest, job_id: int, query: Query[JobProposalsQuery]
) -> dict[str, Any]:
    """Best match: freelancer quality (as in talent search), then how many of the post's
    skills the chosen profile lists, then who proposed first."""
    user = request_user(request)
    job = job_of_client(job_id=require_id(job_id, "job post"), client=user)
    page = paginate(selectors.proposals_for_job(job=job, tab=query.tab), query)
    page["items"] = _proposals(list(page["items"]), user)
    return page


def _as_client(request: HttpRequest, proposal_id: int) -> tuple[User, Proposal]:
    user = request_user(request)
    return user, selectors.proposal_of_client(proposal_id=proposal_id, client=user)


@router.post(
    "/proposals/{proposal_id}/shortlist", response=ProposalOut, summary="Shortlist (toggle)"
)
def proposal_shortlist(request: HttpRequest, proposal_id: int) -> ProposalOut:
    user, proposal = _as_client(request, proposal_id)
    services.proposal_shortlist(client=user, proposal=proposal)
    return _fresh(proposal_id, user)


@router.post("/proposals/{proposal_id}/archive", response=ProposalOut, summary="Archive (toggle)")
def proposal_archive(request: HttpRequest, proposal_id: int) -> ProposalOut:
    user, proposal = _as_client(request, proposal_id)
    services.proposal_archive(client=user, proposal=proposal)
    return _fresh(proposal_id, user)


@router.post("/proposals/{proposal_id}/decline", response=ProposalOut, summary="Decline (final)")
@scope_first(_as_client)
def proposal_decline(
    request: HttpRequest, proposal_id: int, payload: ProposalDeclineIn
) -> ProposalOut:
    user, proposal = _as_client(request, proposal_id)
    services.proposal_decline(client=user, proposal=proposal, reason=payload.reason)
    return _fresh(proposal_id, user)


@router.post(
    "/proposals/{proposal_id}/messages",
    response={201: ProposalMessageOut},
    summary="Message the freelancer (the first message starts the interview)",
    openapi_extra=problems(429),
)
@scope_first(_as_client)
def proposal_message(
    request: HttpRequest, proposal_id: int, payload: ProposalMessageIn
) -> Status[ProposalMessageOut]:
    user, proposal = _as_client(request, proposal_id)
    rate_check(request, MESSAGES)
    message = services.proposal_message(client=user, proposal=proposal, body=payload.body)
    return Status(
        201,
        ProposalMessageOut(
            id=message.pk, conversation_id=message.conversation_id, created_at=message.created_at
        ),
    )


@invitations_router.post(
    "/jobs/{job_id}/invitations",
    response={201: InvitationOut},
    summary="Invite a freelancer to propose on your post",
)
@scope_first(_client_job)
def invitation_create(
    request: HttpRequest, job_id: int, payload: InvitationIn
) -> Status[InvitationOut]:
    user = request_user(request)
    job = job_of_client(job_id=require_id(job_id, "job post"), client=user)
    require_id(payload.freelancer_id, "freelancer")
    freelancer = User.objects.filter(pk=payload.freelancer_id).first()
    if freelancer is None:
        raise NotFound("No such freelancer.")
    invitation = services.invitation_send(
        client=user, job=job, freelancer=freelancer, message=payload.message
    )
    return Status(201, _invitation(invitation, None))


@invitations_router.get(
    "/invitations", response=Page[InvitationOut], summary="Invitations you received"
)
def my_invitations(request: HttpRequest, query: Query[InvitationsQuery]) -> dict[str, Any]:
    invitations = selectors.invitations_of_freelancer(
        freelancer=request_user(request), state=query.state
    )
    page = paginate(invitations, query)
    page["items"] = _invitations(list(page["items"]))
    return page


def _my_invitation(request: HttpRequest, invitation_id: int) -> Invitation:
    return selectors.invitation_of_freelancer(
        invitation_id=invitation_id, freelancer=request_user(request)
    )


@invitations_router.post(
    "/invitations/{invitation_id}/accept",
    response={201: ProposalOut},
    summary="Accept with a proposal (free)",
    openapi_extra=problems(429),
)
@scope_first(_my_invitation)
def invitation_accept(
    request: HttpRequest, invitation_id: int, payload: ProposalIn
) -> Status[ProposalOut]:
    user = request_user(request)
    invitation = selectors.invitation_of_freelancer(invitation_id=invitation_id, freelancer=user)
    rate_check(request, PROPOSALS)
    proposal = services.invitation_accept(
        freelancer=user, invitation=invitation, draft=payload.to_draft()
    )
    return Status(201, _fresh(proposal.pk, user))


@invitations_router.post(
    "/invitations/{invitation_id}/decline", response=InvitationOut, summary="Decline"
)
@scope_first(_my_invitation)
def invitation_decline(
    request: HttpRequest, invitation_id: int, payload: InvitationDeclineIn
) -> InvitationOut:
    user = request_user(request)
    invitation = selectors.invitation_of_freelancer(invitation_id=invitation_id, freelancer=user)
    services.invitation_decline(
        freelancer=user, invitation=invitation, reason=payload.reason, note=payload.note
    )
    return _invitations([invitation])[0]
