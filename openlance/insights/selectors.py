"""Numbers computed across features for people to judge each other by."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import models
from django.db.models import Count, Exists, OuterRef, Q, Sum

from openlance.accounts.models import User
from openlance.contracts.models import Contract, HourlyInvoice
from openlance.core.countries import country_name
from openlance.core.money import Money, round_half_up_div
from openlance.core.prepared import PreparedRead, Slot
from openlance.jobs.models import JobPost, JobState
from openlance.profiles.models import ClientProfile
from openlance.reviews.models import FeedbackDirection
from openlance.reviews.selectors import FeedbackShown, client_rating, recent_reviews_received


@dataclass(frozen=True)
class ClientSignals:
    """What a freelancer sees to vet a client (SPEC §2.3). None means "none yet": the
    feature that produces the number has no data for this client, which is not zero."""

    name: str
    country: str
    city: str
    member_since: datetime
    payment_method_verified: bool
    total_spent: Money
    hires: int
    hire_rate_percent: int | None
    open_jobs: int
    jobs_posted: int
    average_hourly_rate_paid: Money | None = None
    total_hours_paid: int | None = None
    # Freelancers' revealed overall ratings weighted by what each contract paid (None until
    # a rated contract has paid something), and their latest revealed public feedback.
    rating: Decimal | None = None
    rated_contracts: int = 0
    reviews: list[FeedbackShown] = field(default_factory=list)


_PROFILE = PreparedRead(
    lambda: ClientProfile.objects.filter(
        user_id=Slot("client", models.BigIntegerField())
    ).values_list("company_name", "country", "city", "payment_method_verified", "total_spent_cents")
)
# A hire is a contract, not how the client closed the post: a post closed "hired" without
# one led to no hire that anyone can see.
_CLOSED = Q(state__in=[JobState.CLOSED_HIRED, JobState.CLOSED_NO_HIRE, JobState.EXPIRED])
_POSTS = PreparedRead(
    lambda: (
        JobPost.objects.filter(client_id=Slot("client", models.BigIntegerField()))
        .alias(hired=Exists(Contract.objects.filter(job=OuterRef("pk"))))
        .order_by()
        .values("client_id")
        .annotate(
            posted=Count("pk", filter=~Q(state=JobState.DRAFT)),
            open=Count("pk", filter=Q(state=JobState.OPEN)),
            closed=Count("pk", filter=_CLOSED),
            closed_hired=Count("pk", filter=_CLOSED & Q(hired=True)),
        )
        .values_list("posted", "open", "closed", "closed_hired")
    )
)
_HIRES = PreparedRead(
    lambda: (
        Contract.objects.filter(client_id=Slot("client", models.BigIntegerField()))
        .order_by()
        .values("client_id")
        .annotate(hires=Count("pk"))
        .values_list("hires")
    )
)
# Hourly work the client has paid for (their invoices charged), SPEC §2.3.
_HOURLY_PAID = PreparedRead(
    lambda: (
        HourlyInvoice.objects.filter(
            contract__client_id=Slot("client", models.BigIntegerField()), charge__isnull=False
        )
        .order_by()
        .values("contract__client_id")
        .annotate(seconds=Sum("seconds_billed"), cents=Sum("amount_cents"))
        .values_list("seconds", "cents")
    )
)


def client_signals(*, client: User) -> ClientSignals:
    """In prepared reads (a job post's page shows them on every visit: compiling their
    queries cost six times what the database took), one row each, none when the client has
    no profile, post, contract or paid hour yet."""
    profile = next(iter(_PROFILE.rows(client=client.pk)), None)
    company, country, city, verified, spent = profile or ("", "", "", False, 0)
    posted, open_jobs, closed_posts, closed_hired = next(
        iter(_POSTS.rows(client=client.pk)), (0, 0, 0, 0)
    )
    (hires,) = next(iter(_HIRES.rows(client=client.pk)), (0,))
    seconds, cents = next(iter(_HOURLY_PAID.rows(client=client.pk)), (0, 0))
    seconds = int(seconds or 0)
    rating = client_rating(client=client)
    return ClientSignals(
        name=company or client.public_name,
        country=country_name(country) if country else "",
        city=city or "",
        member_since=client.date_joined,
        payment_method_verified=bool(verified),
        total_spent=Money(spent or 0),
        hires=hires,
        hire_rate_percent=round(100 * closed_hired / closed_posts) if closed_posts else None,
        open_jobs=open_jobs,
        jobs_posted=posted,
        average_hourly_rate_paid=(
            Money(round_half_up_div(int(cents or 0) * 3600, seconds)) if seconds else None
        ),
        total_hours_paid=seconds // 3600 if seconds else None,
        rating=rating.rating,
        rated_contracts=rating.rated_contracts,
        reviews=recent_reviews_received(
            user=client, direction=FeedbackDirection.FREELANCER_TO_CLIENT
        ),
    )
