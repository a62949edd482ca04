"""The hourly terms in force for a billing week (SPEC §7.2, §7.3).

A contract starts with the rate and weekly limit of its offer. An accepted amendment sets new
ones from the Monday after it was accepted, so the week being worked is always billed at the
terms it started with. The terms of a week are derived from those two sources each time; the
contract row keeps the terms it started with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from openlance.contracts.models import Amendment, AmendmentKind, AmendmentState, Contract


@dataclass(frozen=True)
class HourlyTerms:
    hourly_rate_cents: int
    weekly_limit_hours: int | None
    # The Monday an amendment's terms apply from; None for the terms the contract started with.
    effective_week: date | None = None


def terms_changes(contract: Contract) -> list[Amendment]:
    """The contract's accepted rate and limit changes, in the order they take effect."""
    return list(
        Amendment.objects.filter(
            contract=contract, kind=AmendmentKind.HOURLY_TERMS, state=AmendmentState.ACCEPTED
        ).order_by("effective_week", "responded_at", "id")
    )


def starting_terms(contract: Contract) -> HourlyTerms:
    return HourlyTerms(contract.hourly_rate_cents or 0, contract.weekly_limit_hours)


def terms_in(changes: list[Amendment], contract: Contract, week: date) -> HourlyTerms:
    """The terms of `week` given the contract's accepted changes (from `terms_changes`): the
    last one in effect by then, or the contract's own."""
    terms = starting_terms(contract)
    for change in changes:
        if change.effective_week is not None and change.effective_week <= week:
            terms = HourlyTerms(
                change.hourly_rate_cents or 0, change.weekly_limit_hours, change.effective_week
            )
    return terms


def terms_for_week(contract: Contract, week: date) -> HourlyTerms:
    return terms_in(terms_changes(contract), contract, week)


def next_change(changes: list[Amendment], week: date) -> Amendment | None:
    """The first accepted change that takes effect after `week`, if one is scheduled."""
    return next(
        (c for c in changes if c.effective_week is not None and c.effective_week > week), None
    )


def with_rate_of_week(contracts: QuerySet[Contract], week: date) -> QuerySet[Contract]:
    """`contracts` with `rate_cents`, the hourly rate billed in `week`, for lists that show
    many contracts at once (one query, however many contracts)."""
    change = Amendment.objects.filter(
        contract=OuterRef("pk"),
        kind=AmendmentKind.HOURLY_TERMS,
        state=AmendmentState.ACCEPTED,
        effective_week__lte=week,
    ).order_by("-effective_week", "-responded_at", "-id")
    return contracts.annotate(
        rate_cents=Coalesce(
            Subquery(change.values("hourly_rate_cents")[:1]), F("hourly_rate_cents")
        )
    )
