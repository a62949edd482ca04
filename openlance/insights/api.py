from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema

from openlance.accounts.models import User
from openlance.core.apitools import MoneyOut
from openlance.core.errors import NotFound
from openlance.insights.selectors import client_signals

router = Router(tags=["profiles"])


class ClientSignalsOut(Schema):
    user_id: int
    name: str
    country: str
    city: str
    member_since: datetime
    payment_method_verified: bool
    total_spent: MoneyOut
    hires: int
    hire_rate_percent: int | None
    open_jobs: int
    jobs_posted: int
    average_hourly_rate_paid: MoneyOut | None
    total_hours_paid: int | None
    rating: float | None
    reviews: list[str]


@router.get(
    "/clients/{user_id}", response=ClientSignalsOut, auth=None, summary="A client's vetting signals"
)
def client_detail(request: HttpRequest, user_id: int) -> ClientSignalsOut:
    """What freelancers use to vet a client. Null fields are "none yet", not zero."""
    client = User.objects.filter(pk=user_id, is_client=True, is_active=True).first()
    if client is None:
        raise NotFound("No such client.")
    signals = client_signals(client=client)
    return ClientSignalsOut(
        user_id=client.pk,
        name=signals.name,
        country=signals.country,
        city=signals.city,
        member_since=signals.member_since,
        payment_method_verified=signals.payment_method_verified,
        total_spent=MoneyOut.of(signals.total_spent),
        hires=signals.hires,
        hire_rate_percent=signals.hire_rate_percent,
        open_jobs=signals.open_jobs,
        jobs_posted=signals.jobs_posted,
        average_hourly_rate_paid=(
            MoneyOut.of(signals.average_hourly_rate_paid)
            if signals.average_hourly_rate_paid
            else None
        ),
        total_hours_paid=signals.total_hours_paid,
        rating=signals.rating,
        reviews=signals.reviews,
    )
