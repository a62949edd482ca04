"""Feedback API (tag `feedback`): a contract's feedback for its two parties (double-blind
until revealed; the client's private part only ever to that client), leaving and editing
one's own, and the revealed reviews on freelancers' and clients' profiles. (A client's
rating is among the client's vetting signals, `GET /api/v1/clients/{id}`.)"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from openlance.accounts.auth import request_user, scope_first
from openlance.accounts.models import User
from openlance.core.apitools import OneOf, Page, PageQuery, StrictSchema, paginate
from openlance.core.errors import NotFound, require_id
from openlance.reviews import selectors, services
from openlance.reviews.models import (
    ATTRIBUTE_NAMES,
    FEEDBACK_WINDOW,
    MAX_TEXT,
    RATING_MAX,
    RATING_MIN,
    RECOMMEND_MAX,
    RECOMMEND_MIN,
    EndReason,
    FeedbackDirection,
    FeedbackStage,
)
from openlance.reviews.selectors import ContractFeedback, FeedbackShown

router = Router(tags=["feedback"])

OVERALL = Field(
    pattern=r"^[1-5]\.[0-9]{2}$",
    examples=["4.17"],
    description="The mean of the six ratings, to two decimals (a decimal string).",
)
OVERALL_OR_NONE = Field(
    pattern=r"^[1-5]\.[0-9]{2}$",
    examples=["4.17"],
    description="The mean of the six ratings, to two decimals (a decimal string); null "
    "without a public part (the client's private feedback only).",
)
# Whole JSON numbers only: `true` or "5" is not a rating.
Stars = Annotated[int, Field(ge=RATING_MIN, le=RATING_MAX, strict=True)]
StarsIn = Annotated[Stars | None, Field(default=None)]
PUBLIC_NULL = "Null without a public part (the client's private feedback only)."


class FeedbackPrivateIn(StrictSchema):
    end_reason: Annotated[str, OneOf(EndReason)] = Field(description="Why the contract ended.")
    recommend: int = Field(
        ge=RECOMMEND_MIN,
        le=RECOMMEND_MAX,
        strict=True,
        description="How likely you are to recommend the freelancer, 0 to 10.",
    )


class FeedbackIn(StrictSchema):
    """The public part (the six ratings and `text`: all of them, or none) and the client's
    `private` part. The client sends either part or both; the freelancer the public part.
    A part sent in half is a 422 naming what is missing."""

    skills: StarsIn
    quality: StarsIn
    availability: StarsIn
    deadlines: StarsIn
    communication: StarsIn
    cooperation: StarsIn
    text: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_TEXT,
        description="Public, once revealed.",
    )
    private: FeedbackPrivateIn | None = Field(
        default=None,
        description="The client's private feedback about the freelancer, never shown to "
        "them. A freelancer sending it gets a 422.",
    )


class FeedbackPrivateOut(Schema):
    end_reason: Annotated[str, OneOf(EndReason)]
    end_reason_label: str
    recommend: int


class FeedbackOut(Schema):
    direction: Annotated[str, OneOf(FeedbackDirection)]
    author_id: int
    recipient_id: int
    skills: int | None = Field(description=PUBLIC_NULL)
    quality: int | None
    availability: int | None
    deadlines: int | None
    communication: int | None
    cooperation: int | None
    overall: str | None = OVERALL_OR_NONE
    text: str | None = Field(description=f"Public once revealed. {PUBLIC_NULL}")
    counts: bool = Field(
        description="False when staff flagged the client who wrote it: it stays visible but "
        "does not count toward the Job Success Score."
    )
    submitted_at: datetime
    updated_at: datetime
    revealed_at: datetime | None
    private: FeedbackPrivateOut | None = Field(
        description="Only in the client's own feedback, to that client."
    )


class ContractFeedbackOut(Schema):
    contract_id: int
    role: Literal["client", "freelancer"] = Field(description="Your side of the contract.")
    stage: Annotated[str, OneOf(FeedbackStage)] = Field(
        description="not_open while the contract runs; open (leave or edit yours) until "
        "both have submitted or the window closes; then closed (revealed, final)."
    )
    opens_at: datetime | None
    closes_at: datetime | None = Field(
        description=f"The window's deadline: {FEEDBACK_WINDOW.days} days after the end."
    )
    revealed_at: datetime | None
    can_edit: bool
    mine: FeedbackOut | None
    theirs: FeedbackOut | None = Field(description="The other side's, once revealed.")
    theirs_submitted: bool = Field(description="Whether the other side has left theirs.")


class ReviewOut(Schema):
    """Revealed public feedback, as a profile shows it."""

    contract_title: str
    author_id: int
    author_name: str
    skills: int
    quality: int
    availability: int
    deadlines: int
    communication: int
    cooperation: int
    overall: str = OVERALL
    text: str
    counts: bool
    revealed_at: datetime


def overall_text(value: Decimal) -> str:
    return f"{value:.2f}"


def _feedback(shown: FeedbackShown) -> FeedbackOut:
    private = shown.private
    ratings = {rating.name: rating.value for rating in shown.ratings}
    return FeedbackOut(
        direction=shown.direction,
        author_id=shown.author_id,
        recipient_id=shown.recipient_id,
        **{name: ratings.get(name) for name in ATTRIBUTE_NAMES},
        overall=overall_text(shown.overall) if shown.overall is not None else None,
        text=shown.text if shown.has_public else None,
        counts=shown.counts,
        submitted_at=shown.submitted_at,
        updated_at=shown.updated_at,
        revealed_at=shown.revealed_at,
        private=FeedbackPrivateOut(
            end_reason=private.end_reason,
            end_reason_label=private.end_reason_label,
            recommend=private.recommend,
        )
        if private
        else None,
    )


def _contract_feedback(feedback: ContractFeedback) -> ContractFeedbackOut:
    return ContractFeedbackOut(
        contract_id=feedback.contract.pk,
        role="client" if feedback.is_client else "freelancer",
        stage=feedback.stage,
        opens_at=feedback.opens_at,
        closes_at=feedback.closes_at,
        revealed_at=feedback.revealed_at,
        can_edit=feedback.can_edit,
        mine=_feedback(feedback.mine) if feedback.mine else None,
        theirs=_feedback(feedback.theirs) if feedback.theirs else None,
        theirs_submitted=feedback.theirs_submitted,
    )


def review_out(shown: FeedbackShown) -> ReviewOut:
    """A revealed public feedback as the API shows it on a profile."""
    assert shown.revealed_at is not None
    assert shown.overall is not None
    return ReviewOut(
        contract_title=shown.contract_title,
        author_id=shown.author_id,
        author_name=shown.author_name,
        **{rating.name: rating.value for rating in shown.ratings},
        overall=overall_text(shown.overall),
        text=shown.text,
        counts=shown.counts,
        revealed_at=shown.revealed_at,
    )


def _contract_of(request: HttpRequest, contract_id: int) -> selectors.ReviewedContract:
    return selectors.contract_for_feedback(user=request_user(request), contract_id=contract_id)


@router.get(
    "/contracts/{contract_id}/feedback",
    response=ContractFeedbackOut,
    summary="A contract's feedback, as you may see it",
    description="Yours always; the other side's once revealed (both submitted, or the "
    f"{FEEDBACK_WINDOW.days}-day window closed). The client's private part is in the client's "
    "own feedback only.",
)
def feedback_get(request: HttpRequest, contract_id: int) -> ContractFeedbackOut:
    user = request_user(request)
    contract = _contract_of(request, contract_id)
    return _contract_feedback(selectors.contract_feedback(user=user, contract=contract))


@router.put(
    "/contracts/{contract_id}/feedback",
    response=ContractFeedbackOut,
    summary="Leave or edit your feedback",
    description=f"On an ended contract, within its {FEEDBACK_WINDOW.days}-day window, until it "
    "is revealed (409 after). When both sides have submitted, both are revealed at once. The "
    "client may send the public part (the six ratings and the text), the private part or "
    "both; the freelancer sends the public part.",
)
@scope_first(_contract_of)
def feedback_put(
    request: HttpRequest, contract_id: int, payload: FeedbackIn
) -> ContractFeedbackOut:
    user = request_user(request)
    contract = _contract_of(request, contract_id)
    private = payload.private
    services.feedback_submit(
        user=user,
        contract=contract,
        skills=payload.skills,
        quality=payload.quality,
        availability=payload.availability,
        deadlines=payload.deadlines,
        communication=payload.communication,
        cooperation=payload.cooperation,
        text=payload.text,
        end_reason=private.end_reason if private else "",
        recommend=private.recommend if private else None,
    )
    return _contract_feedback(selectors.contract_feedback(user=user, contract=contract))


def _viewer(request: HttpRequest) -> User | AnonymousUser:
    return request.user if isinstance(request.user, User) else AnonymousUser()


def _freelancer(request: HttpRequest, user_id: int) -> User:
    """A freelancer whose full profile the caller may see (private and members-only ones
    keep their reviews as they keep the rest)."""
    return selectors.freelancer_for_reviews(user_id=user_id, viewer=_viewer(request))


def _client(request: HttpRequest, user_id: int) -> User:
    client = User.objects.filter(
        pk=require_id(user_id, "client"), is_client=True, is_active=True
    ).first()
    if client is None:
        raise NotFound("No such client.")
    return client


def _reviews_page(reviews: Any, query: PageQuery) -> dict[str, Any]:
    page = paginate(reviews, query)
    page["items"] = [review_out(selectors.shown(f, viewer=None)) for f in page["items"]]
    return page


@router.get(
    "/freelancers/{user_id}/reviews",
    response=Page[ReviewOut],
    auth=None,
    summary="Clients' revealed feedback on a freelancer, the latest first",
)
@scope_first(_freelancer)
def freelancer_reviews(
    request: HttpRequest, user_id: int, query: Query[PageQuery]
) -> dict[str, Any]:
    """As the profile's visibility allows. Public feedback only."""
    return _reviews_page(
        selectors.freelancer_reviews(freelancer=_freelancer(request, user_id)), query
    )


@router.get(
    "/clients/{user_id}/reviews",
    response=Page[ReviewOut],
    auth=None,
    summary="Freelancers' revealed feedback on a client, the latest first",
)
@scope_first(_client)
def client_reviews(request: HttpRequest, user_id: int, query: Query[PageQuery]) -> dict[str, Any]:
    return _reviews_page(selectors.client_reviews(client=_client(request, user_id)), query)
