"""Reads over hourly work, scoped to the contract's two parties (anyone else: 404): one
week's timesheet as both sides see it, and the contract's invoices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Q, QuerySet

from openlance.accounts.models import User
from openlance.contracts.hourly import weeks
from openlance.contracts.models import (
    OWED_STATES,
    Amendment,
    Contract,
    ContractKind,
    HourlyInvoice,
    TimeEntry,
    TimeEntrySource,
)
from openlance.contracts.selectors import contracts_for
from openlance.contracts.terms import HourlyTerms, next_change, terms_changes, terms_in
from openlance.core.errors import NotFound, require_id


def _of_parties(user: User) -> Q:
    """Rows of the user's contracts, as client or freelancer."""
    return Q(contract__client=user) | Q(contract__freelancer=user)


def hourly_contract_for(*, user: User, contract_id: int) -> Contract:
    """The user's contract, without the milestones and amendments the room reads."""
    require_id(contract_id, "contract")
    contract = contracts_for(user=user).select_related("fee_policy").filter(pk=contract_id).first()
    if contract is None:
        raise NotFound("There is no such contract.")
    return contract


def time_entry_for(*, user: User, entry_id: int) -> TimeEntry:
    require_id(entry_id, "time entry")
    entry = (
        TimeEntry.objects.select_related("contract").filter(_of_parties(user), pk=entry_id).first()
    )
    if entry is None:
        raise NotFound("There is no such time entry.")
    return entry


def invoices_of(*, contract: Contract) -> QuerySet[HourlyInvoice]:
    return HourlyInvoice.objects.filter(contract=contract).order_by("-week_start", "-id")


@dataclass(frozen=True)
class Day:
    day: date
    seconds: int
    entries: list[TimeEntry]

    @property
    def hours(self) -> str:
        return weeks.hours_text(self.seconds)


@dataclass(frozen=True)
class Timesheet:
    """One billing week of a contract: the entries by day with totals, the terms of the week
    (rate and weekly limit), what will be (or was) billed and its amount, the invoice once
    issued, whether the freelancer may still change it, and a change of terms scheduled after
    it."""

    contract: Contract
    week: date
    terms: HourlyTerms
    next_change: Amendment | None
    days: list[Day]
    seconds_logged: int
    seconds_tracked: int
    seconds_billed: int
    amount_cents: int
    invoice: HourlyInvoice | None
    editable: bool
    locks_at: datetime

    @property
    def seconds_manual(self) -> int:
        return self.seconds_logged - self.seconds_tracked

    @property
    def seconds_over_limit(self) -> int:
        return self.seconds_logged - self.seconds_billed

    @property
    def previous_week(self) -> date:
        return self.week - weeks.WEEK

    @property
    def next_week(self) -> date:
        return self.week + weeks.WEEK

    @property
    def entries(self) -> list[TimeEntry]:
        return [entry for day in self.days for entry in day.entries]


def timesheet(*, contract: Contract, week: date, now: datetime) -> Timesheet:
    """The week's timesheet. An issued invoice states what was billed; before that, what the
    week's time comes to at the week's terms."""
    week = week - timedelta(days=week.weekday())
    entries = list(
        TimeEntry.objects.filter(
            contract=contract,
            started_at__gte=weeks.week_starts_at(week),
            started_at__lt=weeks.week_ends_at(week),
        ).order_by("started_at", "id")
    )
    by_day: dict[date, list[TimeEntry]] = {week + timedelta(days=n): [] for n in range(7)}
    for entry in entries:
        by_day[entry.started_at.date()].append(entry)
    days = [Day(day, sum(e.seconds for e in items), items) for day, items in by_day.items()]
    logged = sum(entry.seconds for entry in entries)
    tracked = sum(e.seconds for e in entries if e.source == TimeEntrySource.TRACKED)
    invoice = HourlyInvoice.objects.filter(contract=contract, week_start=week).first()
    changes = terms_changes(contract)
    terms = terms_in(changes, contract, week)
    if invoice is not None:
        billed, amount = invoice.seconds_billed, invoice.amount_cents
    else:
        billed = weeks.billable_seconds(logged, terms.weekly_limit_hours)
        amount = weeks.amount_cents(billed, terms.hourly_rate_cents)
    return Timesheet(
        contract=contract,
        week=week,
        terms=terms,
        next_change=next_change(changes, week),
        days=days,
        seconds_logged=logged,
        seconds_tracked=tracked,
        seconds_billed=billed,
        amount_cents=amount,
        invoice=invoice,
        editable=contract.kind == ContractKind.HOURLY and weeks.is_editable(week, now),
        locks_at=weeks.week_locks_at(week),
    )


def invoices_owed_by(*, client: User) -> QuerySet[HourlyInvoice]:
    """The client's hourly invoices whose charge failed and is still owed (some paid by
    hourly protection meanwhile), the oldest first."""
    return (
        HourlyInvoice.objects.filter(
            contract__client=client, state__in=OWED_STATES, charge__isnull=True
        )
        .select_related("contract", "contract__freelancer")
        .order_by("week_start", "id")
    )


def invoice_for(*, user: User, invoice_id: int) -> HourlyInvoice:
    require_id(invoice_id, "invoice")
    invoice = (
        HourlyInvoice.objects.select_related("contract")
        .filter(_of_parties(user), pk=invoice_id)
        .first()
    )
    if invoice is None:
        raise NotFound("There is no such invoice.")
    return invoice
