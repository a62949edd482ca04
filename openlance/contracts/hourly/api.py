"""Hourly work API (tag `hourly`): time entries (how a time tracker uploads time), a week's
timesheet and the contract's invoices. The contract's two parties see them; anyone else
a 404. Times are ISO 8601 with an offset and are kept in UTC."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from openlance.accounts.auth import request_user, scope_first
from openlance.contracts.hourly import selectors, services, weeks
from openlance.contracts.models import (
    ContractState,
    HourlyInvoice,
    InvoiceState,
    TimeEntry,
    TimeEntrySource,
)
from openlance.core import clock
from openlance.core.apitools import MoneyOut, OneOf, Page, PageQuery, StrictSchema, paginate
from openlance.core.idempotency import HEADER

router = Router(tags=["hourly"])


class TimeEntryOut(Schema):
    id: int
    contract_id: int
    started_at: datetime
    ended_at: datetime
    seconds: int
    memo: str
    source: Annotated[str, OneOf(TimeEntrySource)] = Field(
        description="`tracked` (from a time tracker, covered by hourly protection) or `manual`."
    )
    invoice_id: int | None = Field(description="Set once the week is invoiced.")


class TimeEntryIn(StrictSchema):
    started_at: datetime = Field(description="With an offset; kept in UTC.")
    ended_at: datetime = Field(description="After the start, not in the future, same week.")
    memo: str = Field(default="", max_length=services.MAX_MEMO)
    manual: bool = Field(
        default=False,
        description="Typed in rather than tracked; only where the contract allows manual time.",
    )


class TimeEntryChangeIn(StrictSchema):
    started_at: datetime
    ended_at: datetime
    memo: str = Field(default="", max_length=services.MAX_MEMO)


class InvoiceOut(Schema):
    id: int
    contract_id: int
    week_start: date = Field(description="The Monday of the billed week (UTC).")
    hours_logged: str = Field(description='Hours and minutes, "21:30".')
    hours_billed: str = Field(description="At most the weekly limit.")
    seconds_logged: int
    seconds_billed: int
    hourly_rate: MoneyOut
    weekly_limit_hours: int
    amount: MoneyOut = Field(description="What the freelancer is paid for (before their fee).")
    marketplace_fee: MoneyOut
    initiation_fee: MoneyOut
    total: MoneyOut = Field(description="What the client is charged.")
    state: Annotated[str, OneOf(InvoiceState)]
    issued_at: datetime
    charged_at: datetime | None
    review_ends_at: datetime = Field(description="The client may dispute it until then.")
    available_at: datetime = Field(description="When the freelancer may withdraw the money.")
    paid_at: datetime | None
    failure_reason: str
    disputed_at: datetime | None
    dispute_reason: str
    refunded_seconds: int = Field(description="The hours a dispute's decision did not bill.")
    refunded: MoneyOut = Field(description="What a dispute's decision refunded from review.")


class DayOut(Schema):
    day: date
    seconds: int


class TimesheetOut(Schema):
    contract_id: int
    week_start: date
    days: list[DayOut]
    entries: list[TimeEntryOut]
    seconds_logged: int
    seconds_tracked: int
    seconds_manual: int
    seconds_billed: int
    seconds_over_limit: int = Field(description="Recorded but never billed.")
    hourly_rate: MoneyOut = Field(description="The week's rate (changes apply from a Monday).")
    weekly_limit_hours: int | None = Field(description="The week's limit.")
    amount: MoneyOut = Field(description="What the week comes to (billed, once invoiced).")
    editable: bool = Field(description="Whether the freelancer may still change the week.")
    locks_at: datetime
    invoice: InvoiceOut | None


class WeekQuery(Schema):
    week: date | None = Field(
        default=None,
        ge=weeks.FIRST_DAY,
        le=weeks.LAST_DAY,
        description="Any day of the week; the current week by default.",
    )


def _entry(entry: TimeEntry) -> TimeEntryOut:
    return TimeEntryOut(
        id=entry.pk,
        contract_id=entry.contract_id,
        started_at=entry.started_at,
        ended_at=entry.ended_at,
        seconds=entry.seconds,
        memo=entry.memo,
        source=entry.source,
        invoice_id=entry.invoice_id,
    )


def _invoice(invoice: HourlyInvoice) -> InvoiceOut:
    return InvoiceOut(
        id=invoice.pk,
        contract_id=invoice.contract_id,
        week_start=invoice.week_start,
        hours_logged=weeks.hours_text(invoice.seconds_logged),
        hours_billed=weeks.hours_text(invoice.seconds_billed),
        seconds_logged=invoice.seconds_logged,
        seconds_billed=invoice.seconds_billed,
        hourly_rate=MoneyOut.of_cents(invoice.hourly_rate_cents),
        weekly_limit_hours=invoice.weekly_limit_hours,
        amount=MoneyOut.of_cents(invoice.amount_cents),
        marketplace_fee=MoneyOut.of_cents(invoice.marketplace_fee_cents),
        initiation_fee=MoneyOut.of_cents(invoice.initiation_fee_cents),
        total=MoneyOut.of_cents(invoice.total_cents),
        state=invoice.state,
        issued_at=invoice.issued_at,
        charged_at=invoice.charged_at,
        review_ends_at=invoice.review_ends_at,
        available_at=weeks.available_at(invoice.week_start),
        paid_at=invoice.paid_at,
        failure_reason=invoice.failure_reason,
        disputed_at=invoice.disputed_at,
        dispute_reason=invoice.dispute_reason,
        refunded_seconds=invoice.refunded_seconds,
        refunded=MoneyOut.of_cents(invoice.refunded_cents),
    )


def _contract_of(request: HttpRequest, contract_id: int) -> Any:
    return selectors.hourly_contract_for(user=request_user(request), contract_id=contract_id)


def _entry_of(request: HttpRequest, entry_id: int) -> TimeEntry:
    return selectors.time_entry_for(user=request_user(request), entry_id=entry_id)


@router.get(
    "/contracts/{contract_id}/timesheet", response=TimesheetOut, summary="A week's timesheet"
)
@scope_first(_contract_of)
def timesheet_get(request: HttpRequest, contract_id: int, query: Query[WeekQuery]) -> TimesheetOut:
    """Both sides see the week as it is logged: entries, totals by day, tracked and manual
    time, the hours over the weekly limit (never billed), and the invoice once issued."""
    contract = _contract_of(request, contract_id)
    now = clock.now()
    sheet = selectors.timesheet(contract=contract, week=query.week or weeks.week_of(now), now=now)
    return TimesheetOut(
        contract_id=contract.pk,
        week_start=sheet.week,
        days=[DayOut(day=day.day, seconds=day.seconds) for day in sheet.days],
        entries=[_entry(entry) for entry in sheet.entries],
        seconds_logged=sheet.seconds_logged,
        seconds_tracked=sheet.seconds_tracked,
        seconds_manual=sheet.seconds_manual,
        seconds_billed=sheet.seconds_billed,
        seconds_over_limit=sheet.seconds_over_limit,
        hourly_rate=MoneyOut.of_cents(sheet.terms.hourly_rate_cents),
        weekly_limit_hours=sheet.terms.weekly_limit_hours,
        amount=MoneyOut.of_cents(sheet.amount_cents),
        editable=sheet.editable,
        locks_at=sheet.locks_at,
        invoice=_invoice(sheet.invoice) if sheet.invoice is not None else None,
    )


@router.post(
    "/contracts/{contract_id}/time-entries",
    response={201: TimeEntryOut},
    summary="Log time (freelancer)",
)
@scope_first(_contract_of)
def time_entry_create(
    request: HttpRequest, contract_id: int, payload: TimeEntryIn
) -> Status[TimeEntryOut]:
    """What a time tracker calls for each interval worked. Send an `Idempotency-Key`: an
    upload retried with the same key never doubles the time."""
    user = request_user(request)
    contract = _contract_of(request, contract_id)
    entry = services.time_entry_add(
        user=user,
        contract=contract,
        started_at=payload.started_at,
        ended_at=payload.ended_at,
        memo=payload.memo,
        source=TimeEntrySource.MANUAL if payload.manual else TimeEntrySource.TRACKED,
        key=request.headers.get(HEADER, ""),
    )
    return Status(201, _entry(entry))


@router.put("/time-entries/{entry_id}", response=TimeEntryOut, summary="Change a time entry")
@scope_first(_entry_of)
def time_entry_change(
    request: HttpRequest, entry_id: int, payload: TimeEntryChangeIn
) -> TimeEntryOut:
    """Until the week locks (Monday 11:59 UTC after it). New times make a tracked entry
    manual, so they need a contract that allows manual time; the memo may always change."""
    entry = services.time_entry_update(
        user=request_user(request),
        entry=_entry_of(request, entry_id),
        started_at=payload.started_at,
        ended_at=payload.ended_at,
        memo=payload.memo,
    )
    return _entry(entry)


@router.delete("/time-entries/{entry_id}", response={204: None}, summary="Delete a time entry")
def time_entry_remove(request: HttpRequest, entry_id: int) -> Status[None]:
    """Until the week locks."""
    services.time_entry_delete(user=request_user(request), entry=_entry_of(request, entry_id))
    return Status(204, None)


@router.get(
    "/contracts/{contract_id}/invoices", response=Page[InvoiceOut], summary="Hourly invoices"
)
@scope_first(_contract_of)
def invoice_list(request: HttpRequest, contract_id: int, query: Query[PageQuery]) -> dict[str, Any]:
    """The newest week first."""
    contract = _contract_of(request, contract_id)
    page = paginate(selectors.invoices_of(contract=contract), query)
    page["items"] = [_invoice(invoice) for invoice in page["items"]]
    return page


class ContractStateOut(Schema):
    id: int
    state: Annotated[str, OneOf(ContractState)]


def _pause_action(request: HttpRequest, contract_id: int, action: Any) -> ContractStateOut:
    contract = action(user=request_user(request), contract=_contract_of(request, contract_id))
    return ContractStateOut(id=contract.pk, state=contract.state)


@router.post("/contracts/{contract_id}/pause", response=ContractStateOut, summary="Pause (client)")
def contract_pause(request: HttpRequest, contract_id: int) -> ContractStateOut:
    """An hourly contract: no time is logged while it is paused; time logged before is still
    invoiced. Pausing a paused contract changes nothing."""
    return _pause_action(request, contract_id, services.contract_pause)


@router.post(
    "/contracts/{contract_id}/resume", response=ContractStateOut, summary="Resume (client)"
)
def contract_resume(request: HttpRequest, contract_id: int) -> ContractStateOut:
    """Time may be logged again. Resuming an active contract changes nothing."""
    return _pause_action(request, contract_id, services.contract_resume)


class HourlyCardIn(StrictSchema):
    card: str = Field(
        max_length=100,
        description="The card token to charge when your balance does not cover an invoice "
        '(sandbox: pm_card_visa; pm_card_declined is declined); "" for the balance only.',
    )


class HourlyCardOut(Schema):
    id: int
    card: str = Field(description='The card invoices fall back to; "" for the balance only.')


@router.put(
    "/contracts/{contract_id}/hourly-card",
    response=HourlyCardOut,
    summary="Choose the card for invoices (client)",
)
@scope_first(_contract_of)
def hourly_card_set(request: HttpRequest, contract_id: int, payload: HourlyCardIn) -> HourlyCardOut:
    """Each Monday the invoice is charged to your balance; one the balance cannot cover is
    charged to this card through the payment gateway, from the next billing run on."""
    contract = services.contract_hourly_card_set(
        user=request_user(request), contract=_contract_of(request, contract_id), card=payload.card
    )
    return HourlyCardOut(id=contract.pk, card=contract.hourly_card)
