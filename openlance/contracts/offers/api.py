"""Offers over the API (SPEC §6 offers): the client sends, changes and withdraws; the
freelancer accepts a given revision or declines. Either side reads the offers they are a
party to; anyone else's are 404."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import ValidationError

from openlance.accounts.auth import request_user, scope_first
from openlance.accounts.models import User
from openlance.contracts.models import (
    MAX_CRITERIA,
    MAX_MILESTONES,
    ContractKind,
    Offer,
    OfferState,
)
from openlance.contracts.offers import services
from openlance.contracts.offers.selectors import offer_of, offers_of
from openlance.core.apitools import (
    MoneyIn,
    MoneyOut,
    OneOf,
    Page,
    PageQuery,
    StrictSchema,
    paginate,
)
from openlance.core.errors import InvalidInput, NotFound, require_id
from openlance.core.problems import problems
from openlance.jobs.selectors import job_of_client
from openlance.proposals.selectors import proposal_of_client

router = Router(tags=["offers"])

OfferKind = Annotated[str, OneOf(ContractKind)]
OfferStateValue = Annotated[str, OneOf(OfferState)]


class OfferMilestoneIn(StrictSchema):
    description: str = Field(max_length=500)
    amount: MoneyIn = Field(description="At least $5.00.")
    due_date: date | None = None
    criteria: list[str] = Field(
        default_factory=list,
        max_length=MAX_CRITERIA,
        description=f"Acceptance checklist, up to {MAX_CRITERIA} items.",
    )


class TermsFields(StrictSchema):
    kind: OfferKind
    title: str = Field(max_length=120)
    description: str = Field(default="", max_length=5000)
    start_date: date
    milestones: list[OfferMilestoneIn] = Field(
        default_factory=list,
        max_length=MAX_MILESTONES,
        description=f"Fixed price: 1 to {MAX_MILESTONES} milestones.",
    )
    hourly_rate: MoneyIn | None = Field(default=None, description="Hourly: at least $3.00.")
    weekly_limit_hours: int | None = Field(default=None, ge=1, le=168)
    manual_time_allowed: bool = False
    keep_post_open: bool = Field(
        default=False, description="Keep the post open for more hires when this one accepts."
    )
    message: str = Field(default="", max_length=5000)

    def to_terms(self) -> services.OfferTerms:
        return services.OfferTerms(
            kind=self.kind,
            title=self.title,
            description=self.description,
            start_date=self.start_date,
            milestones=[
                services.MilestoneTerms(
                    description=m.description,
                    amount_cents=m.amount.to_money().cents,
                    due_date=m.due_date,
                    criteria=m.criteria,
                )
                for m in self.milestones
            ],
            hourly_rate_cents=None
            if self.hourly_rate is None
            else self.hourly_rate.to_money().cents,
            weekly_limit_hours=self.weekly_limit_hours,
            manual_time_allowed=self.manual_time_allowed,
            keep_post_open=self.keep_post_open,
            message=self.message,
        )


class OfferIn(TermsFields):
    proposal_id: int | None = Field(
        default=None, description="Hire from this proposal; or give job_id and freelancer_id."
    )
    job_id: int | None = None
    freelancer_id: int | None = None


class OfferPatch(StrictSchema):
    kind: OfferKind | None = None
    title: str | None = Field(default=None, max_length=120)
    description: str | None = Field(default=None, max_length=5000)
    start_date: date | None = None
    milestones: list[OfferMilestoneIn] | None = Field(default=None, max_length=MAX_MILESTONES)
    hourly_rate: MoneyIn | None = None
    weekly_limit_hours: int | None = Field(default=None, ge=1, le=168)
    manual_time_allowed: bool | None = None
    keep_post_open: bool | None = None
    message: str | None = Field(default=None, max_length=5000)


class OfferDeclineIn(StrictSchema):
    reason: str = Field(default="", max_length=1000)


class AcceptIn(StrictSchema):
    revision: int = Field(ge=1, description="The revision you reviewed; 409 if it changed.")


class OffersQuery(PageQuery):
    role: Literal["client", "freelancer"] | None = None
    state: OfferStateValue | None = None


class PartyOut(Schema):
    id: int
    name: str


class OfferMilestoneOut(Schema):
    position: int
    description: str
    amount: MoneyOut
    due_date: date | None
    criteria: list[str]


class OfferOut(Schema):
    id: int
    state: OfferStateValue
    revision: int
    kind: OfferKind
    title: str
    description: str
    job_id: int
    job_title: str
    proposal_id: int | None
    client: PartyOut
    freelancer: PartyOut
    start_date: date
    milestones: list[OfferMilestoneOut]
    total: MoneyOut | None = Field(description="Fixed price: the milestones' sum.")
    hourly_rate: MoneyOut | None
    weekly_limit_hours: int | None
    manual_time_allowed: bool
    keep_post_open: bool
    message: str
    sent_at: datetime
    expires_at: datetime
    responded_at: datetime | None
    decline_reason: str
    contract_id: int | None


class ContractStartedOut(Schema):
    contract_id: int
    offer: OfferOut


def _out(offer: Offer) -> OfferOut:
    milestones = list(offer.milestones.all())
    contract = getattr(offer, "contract", None)
    return OfferOut(
        id=offer.pk,
        state=offer.state,
        revision=offer.revision,
        kind=offer.kind,
        title=offer.title,
        description=offer.description,
        job_id=offer.job_id,
        job_title=offer.job.title,
        proposal_id=offer.proposal_id,
        client=PartyOut(id=offer.client_id, name=offer.client.display_name),
        freelancer=PartyOut(id=offer.freelancer_id, name=offer.freelancer.public_name),
        start_date=offer.start_date,
        milestones=[
            OfferMilestoneOut(
                position=m.position,
                description=m.description,
                amount=MoneyOut.of_cents(m.amount_cents),
                due_date=m.due_date,
                criteria=list(m.criteria),
            )
            for m in milestones
        ],
        total=MoneyOut.of_cents_or_none(sum(m.amount_cents for m in milestones))
        if offer.kind == "fixed"
        else None,
        hourly_rate=MoneyOut.of_cents_or_none(offer.hourly_rate_cents),
        weekly_limit_hours=offer.weekly_limit_hours,
        manual_time_allowed=offer.manual_time_allowed,
        keep_post_open=offer.keep_post_open,
        message=offer.message,
        sent_at=offer.sent_at,
        expires_at=offer.expires_at,
        responded_at=offer.responded_at,
        decline_reason=offer.decline_reason,
        contract_id=contract.pk if contract is not None else None,
    )


def _fresh(offer_id: int, user: User) -> OfferOut:
    return _out(offer_of(user=user, offer_id=offer_id))


def _mine_as(user: User, offer_id: int, role: str) -> Offer:
    offer = offer_of(user=user, offer_id=offer_id)
    if (role == "client" and offer.client_id != user.pk) or (
        role == "freelancer" and offer.freelancer_id != user.pk
    ):
        raise NotFound("No such offer.")
    return offer


@router.post(
    "/offers",
    response={201: OfferOut},
    summary="Send an offer (client)",
    openapi_extra=problems(404),
)
def offer_create(request: HttpRequest, payload: OfferIn) -> Status[OfferOut]:
    """From a proposal (`proposal_id`) or straight to a freelancer on one of your open posts
    (`job_id` and `freelancer_id`)."""
    user = request_user(request)
    terms = payload.to_terms()
    if payload.proposal_id is not None:
        proposal = proposal_of_client(proposal_id=payload.proposal_id, client=user)
        offer = services.offer_send(client=user, terms=terms, proposal=proposal)
    else:
        if payload.job_id is None or payload.freelancer_id is None:
            raise InvalidInput(
                "Give proposal_id, or job_id and freelancer_id.",
                field_errors={"proposal_id": ["Required without job_id and freelancer_id."]},
            )
        job = job_of_client(job_id=require_id(payload.job_id, "job post"), client=user)
        freelancer = User.objects.filter(
            pk=require_id(payload.freelancer_id, "freelancer"), is_freelancer=True
        ).first()
        if freelancer is None:
            raise NotFound("No such freelancer.")
        offer = services.offer_send(client=user, terms=terms, job=job, freelancer=freelancer)
    return Status(201, _fresh(offer.pk, user))


@router.get("/offers", response=Page[OfferOut], summary="Your offers, sent and received")
def my_offers(request: HttpRequest, query: Query[OffersQuery]) -> dict[str, Any]:
    user = request_user(request)
    page = paginate(offers_of(user=user, role=query.role, state=query.state), query)
    page["items"] = [_out(offer) for offer in page["items"]]
    return page


@router.get("/offers/{offer_id}", response=OfferOut, summary="An offer")
def offer_detail(request: HttpRequest, offer_id: int) -> OfferOut:
    return _fresh(offer_id, request_user(request))


@router.put("/offers/{offer_id}", response=OfferOut, summary="Replace a pending offer's terms")
@scope_first(lambda request, offer_id: _mine_as(request_user(request), offer_id, "client"))
def offer_replace(request: HttpRequest, offer_id: int, payload: TermsFields) -> OfferOut:
    """The revision goes up; the freelancer must accept the new one."""
    user = request_user(request)
    offer = _mine_as(user, offer_id, "client")
    services.offer_change(client=user, offer=offer, terms=payload.to_terms())
    return _fresh(offer_id, user)


@router.patch("/offers/{offer_id}", response=OfferOut, summary="Change some of an offer's terms")
@scope_first(lambda request, offer_id: _mine_as(request_user(request), offer_id, "client"))
def offer_patch(request: HttpRequest, offer_id: int, payload: OfferPatch) -> OfferOut:
    user = request_user(request)
    offer = _mine_as(user, offer_id, "client")
    current = _out(offer)
    merged: dict[str, Any] = {
        "kind": current.kind,
        "title": current.title,
        "description": current.description,
        "start_date": current.start_date,
        "milestones": [
            {
                "description": m.description,
                "amount": {"amount": m.amount.amount},
                "due_date": m.due_date,
                "criteria": m.criteria,
            }
            for m in current.milestones
        ],
        "hourly_rate": None
        if current.hourly_rate is None
        else {"amount": current.hourly_rate.amount},
        "weekly_limit_hours": current.weekly_limit_hours,
        "manual_time_allowed": current.manual_time_allowed,
        "keep_post_open": current.keep_post_open,
        "message": current.message,
    }
    merged.update(payload.model_dump(exclude_unset=True))
    try:
        # Fields the offer cannot do without (title, kind, ...) may arrive as null.
        terms = TermsFields.model_validate(merged).to_terms()
    except ValidationError as exc:
        errors: dict[str, list[str]] = {}
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"])
            errors.setdefault(field, []).append(error["msg"])
        raise InvalidInput("Check the offer's terms.", field_errors=errors) from None
    services.offer_change(client=user, offer=offer, terms=terms)
    return _fresh(offer_id, user)


@router.post("/offers/{offer_id}/withdraw", response=OfferOut, summary="Withdraw (client)")
def offer_withdraw(request: HttpRequest, offer_id: int) -> OfferOut:
    user = request_user(request)
    services.offer_withdraw(client=user, offer=_mine_as(user, offer_id, "client"))
    return _fresh(offer_id, user)


@router.post("/offers/{offer_id}/decline", response=OfferOut, summary="Decline (freelancer)")
@scope_first(lambda request, offer_id: _mine_as(request_user(request), offer_id, "freelancer"))
def offer_decline(request: HttpRequest, offer_id: int, payload: OfferDeclineIn) -> OfferOut:
    user = request_user(request)
    offer = _mine_as(user, offer_id, "freelancer")
    services.offer_decline(freelancer=user, offer=offer, reason=payload.reason)
    return _fresh(offer_id, user)


@router.post(
    "/offers/{offer_id}/accept",
    response={201: ContractStartedOut},
    summary="Accept (freelancer): starts the contract",
)
@scope_first(lambda request, offer_id: _mine_as(request_user(request), offer_id, "freelancer"))
def offer_accept(
    request: HttpRequest, offer_id: int, payload: AcceptIn
) -> Status[ContractStartedOut]:
    """Accept the revision you reviewed; if the client changed the offer since, this is a
    409 and nothing starts. The contract is then at `GET /contracts/{contract_id}`."""
    user = request_user(request)
    offer = _mine_as(user, offer_id, "freelancer")
    contract = services.offer_accept(freelancer=user, offer=offer, revision=payload.revision)
    return Status(201, ContractStartedOut(contract_id=contract.pk, offer=_fresh(offer_id, user)))
