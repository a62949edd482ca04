"""Reads of the feedback feature, scoped to who may see what (SPEC §10):

- the two parties of a contract see their own feedback always, the other side's only once
  it is revealed, and anyone else gets a 404;
- the client's private part (why the contract ended, how likely to recommend) is shown to
  that client alone: never to the freelancer, in pages, the API or emails. Feedback leaves
  this module as a `FeedbackShown`, which carries the private part only when built for its
  author, so a template or schema cannot reach it by accident;
- profiles show revealed public feedback (recent reviews; a client's private-only feedback
  is no review), and a client's rating is the mean of the freelancers' revealed overall
  ratings weighted by what each contract paid.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol, cast

from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models import F, Q, QuerySet, Sum

from openlance.accounts.models import User, public_name_of
from openlance.billing.models import Payment
from openlance.core import clock
from openlance.core.errors import NotFound, require_id
from openlance.core.prepared import PreparedRead, Slot, SlotKeys
from openlance.profiles.models import Freelancer
from openlance.profiles.selectors import Access, profile_access
from openlance.reviews.models import (
    ATTRIBUTES,
    CONTRACT_ENDED,
    EndReason,
    Feedback,
    FeedbackDirection,
    FeedbackStage,
    FeedbackWindow,
    window_closes_at,
)

RECENT_REVIEWS = 5
WORK_HISTORY_PAGE = 10


class ReviewedContract(Protocol):
    """What reviews read of a contract. The model lives in `contracts`, beside reviews in
    the layer order, so it is never imported: rows come through the string foreign key."""

    @property
    def pk(self) -> Any: ...
    @property
    def client_id(self) -> int: ...
    @property
    def freelancer_id(self) -> int: ...
    @property
    def client(self) -> User: ...
    @property
    def freelancer(self) -> User: ...
    @property
    def title(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def ended_at(self) -> datetime | None: ...


def _contracts() -> QuerySet[Any]:
    model = cast("type[models.Model]", FeedbackWindow._meta.get_field("contract").related_model)
    return model._default_manager.select_related("client", "freelancer")


def contract_for_feedback(*, user: User, contract_id: int) -> ReviewedContract:
    """A contract of `user` (either side); anyone else gets a 404."""
    require_id(contract_id, "contract")
    contract = _contracts().filter(Q(client=user) | Q(freelancer=user), pk=contract_id).first()
    if contract is None:
        raise NotFound("There is no such contract.")
    return cast(ReviewedContract, contract)


def contract_by_id(*, contract_id: int) -> ReviewedContract | None:
    """For handlers of outbox events, which act for no user."""
    return cast("ReviewedContract | None", _contracts().filter(pk=contract_id).first())


def direction_of(*, user: User, contract: ReviewedContract) -> str | None:
    """The direction of the feedback `user` leaves on `contract`, None for a stranger."""
    if user.pk == contract.client_id:
        return FeedbackDirection.CLIENT_TO_FREELANCER
    if user.pk == contract.freelancer_id:
        return FeedbackDirection.FREELANCER_TO_CLIENT
    return None


# --- feedback as a viewer may see it -----------------------------------------------------


@dataclass(frozen=True)
class Rating:
    name: str
    label: str
    value: int


@dataclass(frozen=True)
class PrivateShown:
    end_reason: str
    end_reason_label: str
    recommend: int


@dataclass(frozen=True)
class FeedbackShown:
    """One side's feedback as someone may see it. `private` is set only when built for the
    client who wrote it. Without a public part (a client's private feedback only) `ratings`
    is empty, `overall` None and `text` empty."""

    direction: str
    author_id: int
    author_name: str
    recipient_id: int
    contract_id: int
    contract_title: str
    ratings: tuple[Rating, ...]
    overall: Decimal | None
    text: str
    counts: bool
    submitted_at: datetime
    updated_at: datetime
    revealed_at: datetime | None
    private: PrivateShown | None

    @property
    def has_public(self) -> bool:
        return self.overall is not None


def _ratings(values: Sequence[int]) -> tuple[Rating, ...]:
    """The public ratings, given in the order of ATTRIBUTES."""
    return tuple(
        Rating(name=name, label=label, value=int(value))
        for (name, label), value in zip(ATTRIBUTES, values, strict=True)
    )


def shown(feedback: Feedback, *, viewer: User | None) -> FeedbackShown:
    """`feedback` for `viewer` (None for the public): the private part only to its author."""
    private = None
    if viewer is not None and viewer.pk == feedback.author_id and feedback.recommend is not None:
        private = PrivateShown(
            end_reason=feedback.end_reason,
            end_reason_label=str(EndReason(feedback.end_reason).label),
            recommend=feedback.recommend,
        )
    return FeedbackShown(
        direction=feedback.direction,
        author_id=feedback.author_id,
        author_name=feedback.author.public_name,
        recipient_id=feedback.recipient_id,
        contract_id=feedback.contract_id,
        contract_title=feedback.contract.title,
        ratings=(
            _ratings([getattr(feedback, name) for name, _ in ATTRIBUTES])
            if feedback.has_public
            else ()
        ),
        overall=feedback.overall,
        text=feedback.text,
        counts=feedback.counts,
        submitted_at=feedback.submitted_at,
        updated_at=feedback.updated_at,
        revealed_at=feedback.revealed_at,
        private=private,
    )


@dataclass(frozen=True)
class ContractFeedback:
    """Everything the feedback page and the API show one party of one contract."""

    contract: ReviewedContract
    role: str  # "client" or "freelancer": the viewer's side
    other: User
    stage: str
    opens_at: datetime | None
    closes_at: datetime | None
    revealed_at: datetime | None
    reveal_reason: str
    mine: FeedbackShown | None
    theirs: FeedbackShown | None  # only once revealed
    theirs_submitted: bool
    # The viewer's own row, to fill the edit form (their own private part included).
    mine_row: Feedback | None

    @property
    def can_edit(self) -> bool:
        return self.stage == FeedbackStage.OPEN

    @property
    def is_client(self) -> bool:
        return self.role == "client"


def contract_feedback(
    *, user: User, contract: ReviewedContract, now: datetime | None = None
) -> ContractFeedback:
    """The feedback of `contract` as `user` (one of its parties) may see it at `now`."""
    direction = direction_of(user=user, contract=contract)
    if direction is None:
        raise NotFound("There is no such contract.")
    now = now or clock.now()
    window = FeedbackWindow.objects.filter(contract_id=contract.pk).first()
    rows = {
        row.direction: row
        for row in Feedback.objects.filter(contract_id=contract.pk).select_related(
            "author", "contract"
        )
    }
    mine_row = rows.get(direction)
    theirs_row = next((row for key, row in rows.items() if key != direction), None)
    opens_at = closes_at = revealed_at = None
    reveal_reason = ""
    if contract.state != CONTRACT_ENDED or contract.ended_at is None:
        stage = FeedbackStage.NOT_OPEN
        revealed = False
    else:
        opens_at = window.opens_at if window else contract.ended_at
        closes_at = window.closes_at if window else window_closes_at(contract.ended_at)
        revealed_at = window.revealed_at if window else None
        reveal_reason = window.reveal_reason if window else ""
        revealed = revealed_at is not None or now >= closes_at
        if revealed and revealed_at is None:
            revealed_at = closes_at  # the reveal the periodic rule records at the deadline
        stage = FeedbackStage.CLOSED if revealed else FeedbackStage.OPEN
    is_client = direction == FeedbackDirection.CLIENT_TO_FREELANCER
    return ContractFeedback(
        contract=contract,
        role="client" if is_client else "freelancer",
        other=contract.freelancer if is_client else contract.client,
        stage=stage,
        opens_at=opens_at,
        closes_at=closes_at,
        revealed_at=revealed_at,
        reveal_reason=reveal_reason,
        mine=shown(mine_row, viewer=user) if mine_row else None,
        theirs=shown(theirs_row, viewer=user) if theirs_row and revealed else None,
        theirs_submitted=theirs_row is not None,
        mine_row=mine_row,
    )


# --- on profiles: reviews and the client rating ---------------------------------------------


def reviews_received(*, user: User, direction: str) -> QuerySet[Feedback]:
    """Revealed public feedback about `user` in one direction, the latest first (feedback of
    a flagged client included: it stays visible, marked as not counting; a client's private
    feedback only is no review)."""
    return _reviews_of(user.pk, direction).select_related("author", "contract")


def _reviews_of(recipient: Any, direction: Any) -> QuerySet[Feedback]:
    """`reviews_received` for a recipient id and direction given as values or as slots."""
    return Feedback.objects.filter(
        recipient_id=recipient,
        direction=direction,
        revealed_at__isnull=False,
        overall_hundredths__isnull=False,
    ).order_by("-revealed_at", "-id")


def freelancer_reviews(*, freelancer: User) -> QuerySet[Feedback]:
    return reviews_received(user=freelancer, direction=FeedbackDirection.CLIENT_TO_FREELANCER)


def client_reviews(*, client: User) -> QuerySet[Feedback]:
    return reviews_received(user=client, direction=FeedbackDirection.FREELANCER_TO_CLIENT)


def freelancer_for_reviews(*, user_id: int, viewer: User | AnonymousUser) -> User:
    """The freelancer `user_id` if `viewer` may see their full profile: their reviews are
    shown as far as the rest of the profile is (`profiles.selectors.profile_access`, the rule
    of the profile page and API), so a private or (to a visitor) members-only profile's are
    a 404, as is anyone who is not an active freelancer. For the API and the pages alike."""
    freelancer = (
        Freelancer.objects.select_related("user")
        .filter(user_id=require_id(user_id, "freelancer"), user__is_active=True)
        .first()
    )
    if freelancer is None or profile_access(freelancer=freelancer, viewer=viewer) != Access.FULL:
        raise NotFound("No such freelancer.")
    return freelancer.user


@dataclass(frozen=True)
class WorkHistory:
    """A page of the clients' revealed public feedback on a freelancer, for their profile."""

    freelancer: User
    page: Page[Feedback]
    reviews: list[FeedbackShown]
    # Whether any of their contracts has ended: read only when there is no feedback to show,
    # to tell "no contracts yet" from "no feedback yet".
    has_ended_contracts: bool


def work_history(*, freelancer: User, page: int | str | None = 1) -> WorkHistory:
    """Page `page` (anything a query string gives: out of range is the nearest page) of the
    feedback on `freelancer`'s finished contracts, as the public sees it."""
    shown_page = Paginator(freelancer_reviews(freelancer=freelancer), WORK_HISTORY_PAGE).get_page(
        page
    )
    reviews = [shown(feedback, viewer=None) for feedback in shown_page.object_list]
    ended = (
        bool(reviews) or _contracts().filter(freelancer=freelancer, state=CONTRACT_ENDED).exists()
    )
    return WorkHistory(
        freelancer=freelancer, page=shown_page, reviews=reviews, has_ended_contracts=ended
    )


_RECENT_RECEIVED = PreparedRead(
    lambda: _reviews_of(
        Slot("recipient", models.BigIntegerField()), Slot("direction", models.CharField())
    ).values_list(
        "author_id",
        "author__first_name",
        "author__last_name",
        "contract_id",
        "contract__title",
        "overall_hundredths",
        "text",
        "counts",
        "submitted_at",
        "updated_at",
        "revealed_at",
        *(name for name, _ in ATTRIBUTES),
    )[:RECENT_REVIEWS]
)


def recent_reviews_received(*, user: User, direction: str) -> list[FeedbackShown]:
    """The latest `RECENT_REVIEWS` of `reviews_received`, as the public sees them (never a
    private part), in one prepared read: a client's are on every page of their posts, where
    loading them as models cost more than the rest of the client's signals."""
    return [
        FeedbackShown(
            direction=str(direction),
            author_id=author_id,
            author_name=public_name_of(first_name, last_name, author_id),
            recipient_id=user.pk,
            contract_id=contract_id,
            contract_title=contract_title,
            ratings=_ratings(ratings),
            overall=Decimal(overall_hundredths) / 100,
            text=text,
            counts=counts,
            submitted_at=submitted_at,
            updated_at=updated_at,
            revealed_at=revealed_at,
            private=None,
        )
        for (author_id, first_name, last_name, contract_id, contract_title, overall_hundredths,
             text, counts, submitted_at, updated_at, revealed_at, *ratings)
        in _RECENT_RECEIVED.rows(recipient=user.pk, direction=direction)
    ]  # fmt: skip


# The relations by which a contract records the payments it made (billing's Payment rows):
# milestone releases, hourly invoices, the hourly protection the platform paid, and bonuses.
# Reached by name, so reviews imports only billing.
PAYMENT_LINKS = ("milestone_release", "hourly_invoice", "protected_invoice", "bonus")


def _paid_through(link: str) -> PreparedRead:
    return PreparedRead(
        lambda: (
            Payment.objects.filter(**{f"{link}__contract_id__in": SlotKeys("contracts")})
            .order_by()
            .values(f"{link}__contract_id")
            .annotate(value=Sum(F("gross_cents") - F("refunded_cents")))
            .values_list(f"{link}__contract_id", "value")
        )
    )


_PAID_THROUGH = {link: _paid_through(link) for link in PAYMENT_LINKS}


def contract_values(*, contract_ids: Iterable[int]) -> dict[int, int]:
    """What each contract paid the freelancer for work, in cents: the gross of its payments
    (billing's records of each release, invoice and protection payment) less what was
    refunded of them. One indexed, prepared query per kind of payment (a client's rating is
    on every page of their posts)."""
    ids = list(contract_ids)
    if not ids:
        return {}
    found: dict[int, int] = {}
    for read in _PAID_THROUGH.values():
        for contract_id, value in read.rows(contracts=ids):
            found[int(contract_id)] = found.get(int(contract_id), 0) + int(value or 0)
    return found


def contract_values_since(
    *, freelancer_ids: Iterable[int], since: datetime, until: datetime
) -> dict[int, dict[int, int]]:
    """What each contract of these freelancers paid them for work through the payments made
    from `since` to `until` (gross less what was refunded of those payments), by freelancer and
    contract: the same records as `contract_values`, for the badges' 12-month earnings. One
    query per kind of payment, however many freelancers."""
    ids = list(freelancer_ids)
    if not ids:
        return {}
    found: dict[int, dict[int, int]] = {}
    for link in PAYMENT_LINKS:
        rows = (
            Payment.objects.filter(
                **{f"{link}__contract__freelancer_id__in": ids},
                created_at__gte=since,
                created_at__lte=until,
            )
            .order_by()
            .values(f"{link}__contract__freelancer_id", f"{link}__contract_id")
            .annotate(value=Sum(F("gross_cents") - F("refunded_cents")))
        )
        for row in rows:
            contracts = found.setdefault(int(row[f"{link}__contract__freelancer_id"]), {})
            contract_id = int(row[f"{link}__contract_id"])
            contracts[contract_id] = contracts.get(contract_id, 0) + int(row["value"] or 0)
    return found


@dataclass(frozen=True)
class ClientRating:
    """A client's rating (SPEC §2.3): the freelancers' revealed overall ratings, weighted by
    what each contract paid. `rating` is None when no rated contract paid anything yet."""

    rating: Decimal | None
    rated_contracts: int
    weight_cents: int


_RATED_BY_FREELANCERS = PreparedRead(
    lambda: (
        Feedback.objects.filter(
            recipient_id=Slot("client", models.BigIntegerField()),
            direction=FeedbackDirection.FREELANCER_TO_CLIENT,
            revealed_at__isnull=False,
            overall_hundredths__isnull=False,  # always, in this direction
            counts=True,
        )
        .order_by()
        .values_list("contract_id", *(name for name, _ in ATTRIBUTES))
    )
)


def client_rating(*, client: User) -> ClientRating:
    """Exact: the weighted sum of the six-rating totals over six times the total weight,
    rounded half up to hundredths once, at the end."""
    rows = _RATED_BY_FREELANCERS.rows(client=client.pk)
    values = contract_values(contract_ids=[row[0] for row in rows])
    weighted = weight = rated = 0
    for contract_id, *ratings in rows:
        value = values.get(contract_id, 0)
        if value <= 0:
            continue
        weighted += sum(ratings) * value
        weight += value
        rated += 1
    if not weight:
        return ClientRating(rating=None, rated_contracts=0, weight_cents=0)
    rating = (Decimal(weighted) / Decimal(6 * weight)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    return ClientRating(rating=rating, rated_contracts=rated, weight_cents=weight)
