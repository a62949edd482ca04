"""Numbers computed across features for people to judge each other by."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, Sum

from openlance.accounts.models import User
from openlance.contracts.models import Contract, HourlyInvoice
from openlance.core.money import Money, round_half_up_div
from openlance.jobs.models import JobPost, JobState
from openlance.profiles.models import ClientProfile
from openlance.reviews.selectors import (
    FeedbackShown,
    client_rating,
    client_reviews,
    recent_reviews,
)


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


def client_signals(*, client: User) -> ClientSignals:
    profile = ClientProfile.objects.filter(user=client).first()
    # A hire is a contract, not how the client closed the post: a post closed "hired"
    # without one led to no hire that anyone can see.
    closed = Q(state__in=[JobState.CLOSED_HIRED, JobState.CLOSED_NO_HIRE, JobState.EXPIRED])
    led_to_a_hire = Exists(Contract.objects.filter(job=OuterRef("pk")))
    counts = (
        JobPost.objects.filter(client=client)
        .alias(hired=led_to_a_hire)
        .aggregate(
            posted=Count("pk", filter=~Q(state=JobState.DRAFT)),
            open=Count("pk", filter=Q(state=JobState.OPEN)),
            closed=Count("pk", filter=closed),
            closed_hired=Count("pk", filter=closed & Q(hired=True)),
        )
    )
    hires = Contract.objects.filter(client=client).count()
    # Hourly work the client has paid for (their invoices charged), SPEC §2.3.
    hourly = HourlyInvoice.objects.filter(contract__client=client, charge__isnull=False).aggregate(
        seconds=Sum("seconds_billed"), cents=Sum("amount_cents")
    )
    seconds = int(hourly["seconds"] or 0)
    closed_posts = counts["closed"]
    rating = client_rating(client=client)
    return ClientSignals(
        name=(profile.company_name if profile and profile.company_name else client.public_name),
        country=profile.country.name if profile and profile.country else "",
        city=profile.city if profile else "",
        member_since=client.date_joined,
        payment_method_verified=bool(profile and profile.payment_method_verified),
        total_spent=Money(profile.total_spent_cents if profile else 0),
        hires=hires,
        hire_rate_percent=(
            round(100 * counts["closed_hired"] / closed_posts) if closed_posts else None
        ),
        open_jobs=counts["open"],
        jobs_posted=counts["posted"],
        average_hourly_rate_paid=(
            Money(round_half_up_div(int(hourly["cents"] or 0) * 3600, seconds)) if seconds else None
        ),
        total_hours_paid=seconds // 3600 if seconds else None,
        rating=rating.rating,
        rated_contracts=rating.rated_contracts,
        reviews=recent_reviews(client_reviews(client=client)),
    )
