"""Hourly work (SPEC §7.2): the freelancer's time entries, the Monday invoice and the
payment after the client's review.

Time entries change only in an editable week (`weeks.is_editable`), never overlap on one
contract (checked under the contract's row lock) and never lie in the future. Tracked time
comes from a time-tracking client through the API; manual time only where the contract
allows it, and changing a tracked entry's times makes it manual.

`hourly_invoice_run_due(now)` bills every week that is locked and not yet invoiced, for
min(hours, weekly limit) x rate, charging the client's balance into the contract's
hourly-in-review account; a charge the balance cannot cover leaves the invoice unpaid and
each later run tries again. `hourly_review_close_run_due(now)` pays every invoice whose
review is over to the freelancer, with the sliding service fee, into their pending balance
until the Wednesday after. Both are idempotent per contract-week: a second run, a late run
or two runs at once bill and pay once (the invoice row is unique per contract-week, the
ledger transfers carry the invoice's keys).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import DatabaseError, transaction
from django.db.models import Case, Q, When

from openlance.accounts.models import User
from openlance.billing.cards import card_reference_check, card_removed
from openlance.billing.fees import client_fees
from openlance.billing.gateway import (
    PaymentGatewayUnavailable,
)
from openlance.billing.models import CardChargePurpose, CardChargeState, PaymentKind
from openlance.billing.payments import payment_for_work, relationship_locked
from openlance.billing.services import (
    CardChargeConflict,
    CardChargeUnsettled,
    CardSpending,
    card_pay_once,
    spend_on_booking,
)
from openlance.contracts.common import lock_contract, require_party
from openlance.contracts.hourly import weeks
from openlance.contracts.models import (
    CONTRACT_TRANSITIONS,
    INVOICE_TRANSITIONS,
    OWED_STATES,
    Contract,
    ContractKind,
    ContractPause,
    ContractState,
    HourlyInvoice,
    InvoiceState,
    PauseCause,
    TimeEntry,
    TimeEntrySource,
    TimesheetReminder,
)
from openlance.contracts.pricing import contract_fee_policy
from openlance.contracts.terms import terms_for_week
from openlance.core import clock
from openlance.core.errors import (
    Conflict,
    DomainError,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidInput,
    InvalidTransition,
    NotFound,
)
from openlance.core.money import Money
from openlance.core.services import event_emit
from openlance.ledger.models import AccountKind, LedgerAccount
from openlance.ledger.services import (
    account_for,
    accounts_lock,
    platform_account,
    transfer_post,
)
from openlance.profiles.models import ClientProfile

MAX_MEMO = 500
# A tracker uploads an interval when it stops, or when the network is back: time uploaded
# later than this after it ended is not covered by hourly protection.
PROTECTED_UPLOAD_WITHIN = timedelta(hours=24)
logger = logging.getLogger(__name__)
HOURLY_CHARGE = "hourly_charge"
HOURLY_RECOVERY = "hourly_protection_recovery"


def _move(invoice: HourlyInvoice, target: str, **changes: Any) -> None:
    """Change a locked invoice's state along INVOICE_TRANSITIONS, with the fields that go
    with it, and save them."""
    if target not in INVOICE_TRANSITIONS[invoice.state]:
        raise InvalidTransition(
            f"An invoice that is {invoice.get_state_display().lower()} cannot become "
            f"{InvoiceState(target).label.lower()}."
        )
    invoice.state = target
    for name, value in changes.items():
        setattr(invoice, name, value)
    invoice.save(update_fields=["state", *changes])


def in_review_account(contract: Contract) -> LedgerAccount:
    """Where an invoice's money waits while the client reviews it."""
    return account_for(kind=AccountKind.HOURLY_IN_REVIEW, reference=contract.escrow_reference)


def _locked_hourly_for(contract: Contract, user: User, role: str) -> Contract:
    """The hourly contract, locked, for the party `role` (outsiders: 404; the other
    party: 409)."""
    require_party(contract, user, role)
    contract = lock_contract(contract)
    if contract.kind != ContractKind.HOURLY:
        raise Conflict("This is a fixed-price contract: it has no hourly work.")
    return contract


def _require_loggable(
    contract: Contract, started_at: datetime | None = None, ended_at: datetime | None = None
) -> None:
    """Time is logged on a contract that has not ended, outside every pause (SPEC §7.3): a
    paused contract still takes time worked before its pause while the week is open (the
    freelancer finishes last week's timesheet on Monday morning), and a resumed one never
    takes time from while it was paused. Without an interval (changing a memo, removing an
    entry) only the contract's end counts."""
    if contract.state == ContractState.ENDED:
        raise Conflict("The contract has ended: no time is logged.")
    if started_at is None or ended_at is None:
        return
    overlapping = contract.pauses.filter(started_at__lt=ended_at).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=started_at)
    )
    pause = overlapping.order_by("started_at").first()
    if pause is not None:
        raise Conflict(
            f"The contract was paused from {pause.started_at:%a %b %-d, %H:%M} UTC"
            + (f" to {pause.ended_at:%a %b %-d, %H:%M}" if pause.ended_at else "")
            + ": no time is logged after the pause began"
            + (" and before it ended." if pause.ended_at else ".")
        )


def _cut_at_pause(contract: Contract, started_at: datetime, ended_at: datetime) -> datetime:
    """A tracked interval that ran into a pause ends where the pause began: the tracker kept
    running, the contract did not (the time before it is still the freelancer's)."""
    pause = (
        contract.pauses.filter(started_at__gt=started_at, started_at__lt=ended_at)
        .order_by("started_at")
        .first()
    )
    return pause.started_at.replace(microsecond=0) if pause is not None else ended_at


def _locked_hourly(contract: Contract, user: User) -> Contract:
    """The contract, locked, for its freelancer to change time on."""
    contract = _locked_hourly_for(contract, user, "freelancer")
    _require_loggable(contract)
    return contract


def _refuse_invoiced_week(contract: Contract, week: date) -> None:
    """A week is final once invoiced: time reaching it after the invoice (a request that
    waited for the lock while the Monday run held it) would never be billed."""
    if HourlyInvoice.objects.filter(contract=contract, week_start=week).exists():
        raise Conflict(_locked_message(week))


def _utc(moment: datetime, field: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(
            "Give times with their offset (UTC, e.g. 2026-12-01T09:00:00Z).",
            field_errors={field: ["A time with an offset is required."]},
        )
    if not weeks.FIRST_DAY.year <= moment.year <= weeks.LAST_DAY.year:
        raise InvalidInput(
            "That time is out of range.",
            field_errors={field: [f"Between {weeks.FIRST_DAY.year} and {weeks.LAST_DAY.year}."]},
        )
    return moment.astimezone(UTC)


def _interval(started_at: datetime, ended_at: datetime) -> tuple[datetime, datetime]:
    """The interval in UTC, to the second (as entries are kept)."""
    return (
        _utc(started_at, "started_at").replace(microsecond=0),
        _utc(ended_at, "ended_at").replace(microsecond=0),
    )


def _checked_interval(
    contract: Contract, started_at: datetime, ended_at: datetime, now: datetime
) -> tuple[datetime, datetime]:
    started_at, ended_at = _interval(started_at, ended_at)
    if ended_at <= started_at:
        raise InvalidInput(
            "An entry ends after it starts.", field_errors={"ended_at": ["After the start."]}
        )
    if ended_at > now:
        raise InvalidInput(
            "Time in the future cannot be logged.",
            field_errors={"ended_at": ["Not after now."]},
        )
    if started_at < contract.started_at.replace(microsecond=0):
        raise InvalidInput(
            "The contract had not started yet at that time.",
            field_errors={"started_at": ["Not before the contract started."]},
        )
    week = weeks.week_of(started_at)
    if ended_at > weeks.week_ends_at(week):
        raise InvalidInput(
            "An entry lies within one billing week (Monday 00:00 to Sunday 23:59 UTC): "
            "split it at midnight between Sunday and Monday.",
            field_errors={"ended_at": ["Not past the end of the entry's week."]},
        )
    if not weeks.is_editable(week, now):
        raise Conflict(_locked_message(week))
    return started_at, ended_at


def _locked_message(week: date) -> str:
    return (
        f"The week of {week:%b} {week.day} is locked: entries change only until "
        f"{weeks.week_locks_at(week):%A %b %-d}, 11:59 UTC."
    )


def _refuse_overlap(
    contract: Contract, started_at: datetime, ended_at: datetime, *, exclude: int | None = None
) -> None:
    """Two entries of one contract never cover the same moment (called under its lock)."""
    clashes = TimeEntry.objects.filter(
        contract=contract, started_at__lt=ended_at, ended_at__gt=started_at
    )
    if exclude is not None:
        clashes = clashes.exclude(pk=exclude)
    clash = clashes.order_by("started_at").first()
    if clash is not None:
        raise Conflict(
            f"This overlaps the entry from {clash.started_at:%a %H:%M} to "
            f"{clash.ended_at:%a %H:%M} UTC."
        )


def _memo(memo: str) -> str:
    memo = (memo or "").strip()
    if len(memo) > MAX_MEMO or "\x00" in memo:
        raise InvalidInput(
            f"A memo has at most {MAX_MEMO} characters.",
            field_errors={"memo": [f"At most {MAX_MEMO} characters."]},
        )
    return memo


def time_entry_add(
    *,
    user: User,
    contract: Contract,
    started_at: datetime,
    ended_at: datetime,
    memo: str,
    source: str,
    key: str = "",
) -> TimeEntry:
    """Log an interval on an active hourly contract. `key` (from a tracker's upload) makes
    the call safe to repeat: the same key finds the entry it made, with the same times."""
    source = TimeEntrySource(source)
    memo = _memo(memo)
    key = (key or "").strip()
    if len(key) > 200:
        raise InvalidInput("An idempotency key has at most 200 characters.")
    with transaction.atomic():
        contract = _locked_hourly_for(contract, user, "freelancer")
        # After the lock: the Monday run may have held it across the deadline.
        now = clock.now()
        started_at, ended_at = _interval(started_at, ended_at)
        if source == TimeEntrySource.TRACKED:
            ended_at = _cut_at_pause(contract, started_at, ended_at)
        if key:
            existing = TimeEntry.objects.filter(contract=contract, key=key).first()
            if existing is not None:
                if (existing.started_at, existing.ended_at) != (started_at, ended_at):
                    raise IdempotencyConflict(
                        "This key was used for another interval on this contract."
                    )
                return existing
        if source == TimeEntrySource.MANUAL and not contract.manual_time_allowed:
            raise Conflict("This contract does not allow manual time; use the time tracker.")
        started_at, ended_at = _checked_interval(contract, started_at, ended_at, now)
        _require_loggable(contract, started_at, ended_at)
        _refuse_invoiced_week(contract, weeks.week_of(started_at))
        _refuse_overlap(contract, started_at, ended_at)
        return TimeEntry.objects.create(
            contract=contract,
            started_at=started_at,
            ended_at=ended_at,
            memo=memo,
            source=source,
            key=key,
            created_at=now,
            updated_at=now,
        )


def _locked_entry(entry: TimeEntry, user: User) -> tuple[Contract, TimeEntry]:
    contract = _locked_hourly(entry.contract, user)
    locked = TimeEntry.objects.select_for_update().filter(pk=entry.pk).first()
    if locked is None:
        raise NotFound("There is no such time entry.")
    now = clock.now()
    week = weeks.week_of(locked.started_at)
    if locked.invoice_id is not None or not weeks.is_editable(week, now):
        raise Conflict(_locked_message(week))
    _refuse_invoiced_week(contract, week)
    return contract, locked


def time_entry_update(
    *, user: User, entry: TimeEntry, started_at: datetime, ended_at: datetime, memo: str
) -> TimeEntry:
    """Change an entry of an editable week. New times on a tracked entry make it manual,
    so only where the contract allows manual time; its memo may always change."""
    memo = _memo(memo)
    with transaction.atomic():
        contract, locked = _locked_entry(entry, user)
        now = clock.now()
        started_at, ended_at = _checked_interval(contract, started_at, ended_at, now)
        moved = (started_at, ended_at) != (locked.started_at, locked.ended_at)
        if moved:
            _require_loggable(contract, started_at, ended_at)
        if moved and not contract.manual_time_allowed:
            raise Conflict(
                "This contract does not allow manual time: tracked times stay as tracked, "
                "only their memo changes."
            )
        if moved:
            _refuse_invoiced_week(contract, weeks.week_of(started_at))
            _refuse_overlap(contract, started_at, ended_at, exclude=locked.pk)
            locked.source = TimeEntrySource.MANUAL
        locked.started_at, locked.ended_at, locked.memo = started_at, ended_at, memo
        locked.updated_at = now
        locked.save()
        return locked


def time_entry_delete(*, user: User, entry: TimeEntry) -> None:
    """Remove an entry of an editable week."""
    with transaction.atomic():
        _, locked = _locked_entry(entry, user)
        locked.delete()


# --- disputes ---------------------------------------------------------------------------

MAX_DISPUTE_REASON = 2000
DISPUTABLE = (InvoiceState.IN_REVIEW, InvoiceState.UNPAID)


def invoice_dispute_freeze(*, user: User, invoice: HourlyInvoice, reason: str) -> HourlyInvoice:
    """The client disputes an invoice before its review ends (Friday 23:59 UTC): it is not
    paid to the freelancer (the money stays in review), not charged again and not protected,
    and the contract is paused, until the dispute is decided (`invoice_dispute_settle`). The
    disputes feature opens the dispute in the same transaction. An invoice is disputed once:
    its decision stands."""
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_DISPUTE_REASON or "\x00" in reason:
        raise InvalidInput(
            "Say what is wrong with the invoice: which hours, and why.",
            field_errors={"reason": [f"Required, at most {MAX_DISPUTE_REASON:,} characters."]},
        )
    with transaction.atomic():
        contract = _locked_hourly_for(invoice.contract, user, "client")
        locked = HourlyInvoice.objects.select_for_update().get(pk=invoice.pk)
        now = clock.now()
        if locked.disputed_at is not None:
            raise Conflict(
                "This invoice was disputed already."
                if locked.state == InvoiceState.DISPUTED
                else "This invoice's dispute was decided: the decision stands."
            )
        if locked.amount_cents <= 0:
            raise Conflict("This invoice bills nothing: there is nothing to dispute.")
        if locked.state not in DISPUTABLE or now >= locked.review_ends_at:
            raise Conflict(
                "This invoice can no longer be disputed: its review ended "
                f"{locked.review_ends_at - timedelta(minutes=1):%A %B %-d, %H:%M} UTC."
            )
        _move(locked, InvoiceState.DISPUTED, disputed_at=now, dispute_reason=reason)
        if contract.state == ContractState.ACTIVE:
            _pause_begin(contract, now, PauseCause.INVOICE_DISPUTE)
        event_emit(
            kind="hourly.invoice_disputed",
            payload={"invoice_id": locked.pk, "contract_id": contract.pk},
        )
        return locked


HOURLY_DISPUTE_REFUND = "hourly_dispute_refund"


def invoice_dispute_settle(
    invoice: HourlyInvoice, *, billed_seconds: int, now: datetime
) -> HourlyInvoice:
    """Execute a dispute's decision on the invoice, once: `billed_seconds` of its billed
    hours stand. A charged invoice pays them to the freelancer (with the service fee, as
    after any review) and refunds the rest from review to the client; an uncharged one is
    billed for them alone (fees recomputed) and owed like any unpaid invoice, so hourly
    protection still covers the tracked hours among them. The contract resumes once none of
    its invoices is in dispute, if the dispute paused it."""
    with transaction.atomic():
        contract = lock_contract(invoice.contract)
        locked = HourlyInvoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.state != InvoiceState.DISPUTED:
            raise Conflict("This invoice is not in dispute.")
        if not 0 <= billed_seconds <= locked.seconds_billed:
            raise InvalidInput(
                f"Between 0 and {locked.seconds_billed / 3600:.2f} hours are billed.",
                field_errors={"hours": ["Out of range."]},
            )
        billed_cents = weeks.amount_cents(billed_seconds, locked.hourly_rate_cents)
        locked.refunded_seconds = locked.seconds_billed - billed_seconds
        if locked.charge_id is not None:
            _settle_charged(contract, locked, billed_seconds, billed_cents, now)
        else:
            _rebill(contract, locked, billed_seconds, billed_cents)
        _resume_after_dispute(contract, now)
        return locked


def _settle_charged(
    contract: Contract,
    invoice: HourlyInvoice,
    billed_seconds: int,
    billed_cents: int,
    now: datetime,
) -> None:
    """Pay the hours that stand from review and refund the rest. Afterwards the invoice
    bills what stands, as a re-billed one does; `refunded_*` say what was taken off."""
    refund = invoice.amount_cents - billed_cents
    # The pair's relationship row, then every account, in the order each payment takes them.
    relationship_locked(freelancer=contract.freelancer, client=contract.client)
    client_funding = account_for(kind=AccountKind.CLIENT_FUNDING, owner=contract.client)
    accounts_lock(
        [
            in_review_account(contract),
            client_funding,
            account_for(kind=AccountKind.FREELANCER_PENDING, owner=contract.freelancer),
        ]
    )
    if refund:
        transfer_post(
            key=f"hourly_invoice:{invoice.pk}:dispute:refund",
            kind=HOURLY_DISPUTE_REFUND,
            description=f"Hours of invoice {invoice.pk} not billed after its dispute, refunded",
            legs=[(in_review_account(contract), -refund), (client_funding, refund)],
            metadata={"contract_id": contract.pk, "invoice_id": invoice.pk},
            client=contract.client,
            freelancer=contract.freelancer,
        )
    invoice.seconds_billed = billed_seconds
    invoice.amount_cents = billed_cents
    invoice.refunded_cents = refund
    if billed_cents:
        invoice.save(
            update_fields=["seconds_billed", "amount_cents", "refunded_seconds", "refunded_cents"]
        )
        _pay_to_freelancer(contract, invoice, now, amount_cents=billed_cents)
    else:
        _move(
            invoice,
            InvoiceState.REFUNDED,
            seconds_billed=0,
            amount_cents=0,
            refunded_seconds=invoice.refunded_seconds,
            refunded_cents=refund,
        )


def _rebill(
    contract: Contract, invoice: HourlyInvoice, billed_seconds: int, billed_cents: int
) -> None:
    """An uncharged invoice now bills only the decided hours: its fees follow the amount
    (the initiation fee stays with it, if it carried it and still bills anything)."""
    fees = client_fees(
        contract_fee_policy(contract),
        amount_cents=billed_cents,
        first_payment_of_contract=invoice.initiation_fee_cents > 0 and billed_cents > 0,
    )
    target = InvoiceState.UNPAID if billed_cents else InvoiceState.REFUNDED
    _move(
        invoice,
        target,
        seconds_billed=billed_seconds,
        refunded_seconds=invoice.refunded_seconds,
        amount_cents=billed_cents,
        marketplace_fee_cents=fees.marketplace_fee_cents,
        initiation_fee_cents=fees.initiation_fee_cents,
        failure_reason="",
    )


def _resume_after_dispute(contract: Contract, now: datetime) -> None:
    """Resume the locked contract when an invoice dispute paused it and none is left."""
    pause = open_pause_of(contract)
    if (
        contract.state != ContractState.PAUSED
        or pause is None
        or pause.cause != PauseCause.INVOICE_DISPUTE
        or contract.invoices.filter(state=InvoiceState.DISPUTED).exists()
    ):
        return
    _require_contract_move(contract, ContractState.ACTIVE, "resumed")
    contract.state = ContractState.ACTIVE
    contract.save(update_fields=["state"])
    pauses_end(contract=contract, now=now)
    event_emit(kind="contract.resumed", payload={"contract_id": contract.pk})


# --- pause and resume -----------------------------------------------------------------


def _pause_begin(contract: Contract, now: datetime, cause: str) -> None:
    """Pause the locked contract from `now` (along CONTRACT_TRANSITIONS)."""
    _require_contract_move(contract, ContractState.PAUSED, "paused")
    contract.state = ContractState.PAUSED
    contract.save(update_fields=["state"])
    ContractPause.objects.create(contract=contract, started_at=now, cause=cause)
    event_emit(kind="contract.paused", payload={"contract_id": contract.pk})


def _require_contract_move(contract: Contract, target: str, verb: str) -> None:
    if target not in CONTRACT_TRANSITIONS[contract.state]:
        raise InvalidTransition(
            f"A contract that is {contract.get_state_display().lower()} cannot be {verb}."
        )


def open_pause_of(contract: Contract) -> ContractPause | None:
    return contract.pauses.filter(ended_at__isnull=True).first()


def pauses_end(*, contract: Contract, now: datetime) -> None:
    """Close the open pause of the locked contract (it resumes or ends)."""
    contract.pauses.filter(ended_at__isnull=True).update(ended_at=now)


def _set_paused(user: User, contract: Contract, *, paused: bool) -> Contract:
    """The client pauses or resumes an hourly contract; asking for the state it is in
    already changes nothing."""
    with transaction.atomic():
        contract = _locked_hourly_for(contract, user, "client")
        target = ContractState.PAUSED if paused else ContractState.ACTIVE
        if contract.state == target:
            return contract
        now = clock.now()
        if paused:
            _pause_begin(contract, now, PauseCause.CLIENT)
            return contract
        _require_contract_move(contract, ContractState.ACTIVE, "resumed")
        contract.state = ContractState.ACTIVE
        contract.save(update_fields=["state"])
        pauses_end(contract=contract, now=now)
        event_emit(kind="contract.resumed", payload={"contract_id": contract.pk})
        return contract


def contract_pause(*, user: User, contract: Contract) -> Contract:
    """No time is logged until the contract resumes; the time logged before is still
    invoiced on Monday (SPEC §7.3)."""
    return _set_paused(user, contract, paused=True)


def contract_resume(*, user: User, contract: Contract) -> Contract:
    return _set_paused(user, contract, paused=False)


# --- invoices ---------------------------------------------------------------------------


def _uninvoiced_weeks(now: datetime) -> dict[int, set[date]]:
    """The locked weeks with time not yet invoiced, by contract."""
    cutoff = weeks.week_ends_at(weeks.last_locked_week(now))
    found: dict[int, set[date]] = defaultdict(set)
    for contract_id, started_at in TimeEntry.objects.filter(
        invoice__isnull=True, started_at__lt=cutoff
    ).values_list("contract_id", "started_at"):
        found[contract_id].add(weeks.week_of(started_at))
    return found


def invoice_issue(*, contract: Contract, week: date, now: datetime) -> HourlyInvoice | None:
    """Invoice one locked week of `contract` (or any week of an ended contract, whose time
    can no longer change) and charge it; None when it was invoiced already (by an earlier or
    a concurrent run: the contract's lock orders them). Entries of the week are attached to
    the invoice and can no longer change."""
    with transaction.atomic():
        contract = lock_contract(contract)
        if now < weeks.week_locks_at(week) and contract.state != ContractState.ENDED:
            raise Conflict(f"The week of {week} is not locked yet: it is invoiced on Monday noon.")
        if HourlyInvoice.objects.filter(contract=contract, week_start=week).exists():
            return None
        entries = TimeEntry.objects.filter(
            contract=contract,
            invoice__isnull=True,
            started_at__gte=weeks.week_starts_at(week),
            started_at__lt=weeks.week_ends_at(week),
        )
        logged = sum(entry.seconds for entry in entries)
        terms = terms_for_week(contract, week)
        billed = weeks.billable_seconds(logged, terms.weekly_limit_hours)
        amount = weeks.amount_cents(billed, terms.hourly_rate_cents)
        # The initiation fee goes with the contract's first invoice that bills anything, once:
        # not again on later invoices while that one is still unpaid.
        first = (
            amount > 0
            and contract.first_funding_id is None
            and not HourlyInvoice.objects.filter(
                contract=contract, initiation_fee_cents__gt=0
            ).exists()
        )
        fees = client_fees(
            contract_fee_policy(contract), amount_cents=amount, first_payment_of_contract=first
        )
        invoice = HourlyInvoice.objects.create(
            contract=contract,
            week_start=week,
            seconds_logged=logged,
            seconds_billed=billed,
            hourly_rate_cents=terms.hourly_rate_cents,
            weekly_limit_hours=terms.weekly_limit_hours or 0,
            amount_cents=amount,
            marketplace_fee_cents=fees.marketplace_fee_cents,
            initiation_fee_cents=fees.initiation_fee_cents,
            state=InvoiceState.UNPAID,
            issued_at=now,
            review_ends_at=weeks.review_ends_at(week),
        )
        entries.update(invoice=invoice)
        event_emit(
            kind="hourly.invoice_issued",
            payload={"invoice_id": invoice.pk, "contract_id": contract.pk},
        )
        _charge(contract, invoice, now)
        return invoice


def hourly_invoices_on_end(*, contract: Contract, now: datetime) -> list[HourlyInvoice]:
    """Invoice the time of an hourly contract that has just ended, without waiting for
    Monday: its last, partial week (and last week, before Monday noon). Called by the end of
    the contract, in its transaction, with the contract locked and ended."""
    due = sorted(
        {
            weeks.week_of(started_at)
            for started_at in TimeEntry.objects.filter(
                contract=contract, invoice__isnull=True
            ).values_list("started_at", flat=True)
        }
    )
    issued = (invoice_issue(contract=contract, week=week, now=now) for week in due)
    return [invoice for invoice in issued if invoice is not None]


def _charge(contract: Contract, invoice: HourlyInvoice, now: datetime) -> None:
    """Move the invoice's total from the client's balance into review (contract and invoice
    locked by the caller). A balance that cannot cover it leaves the invoice unpaid."""
    if invoice.amount_cents == 0:
        _move(invoice, InvoiceState.IN_REVIEW, charged_at=now)
        return
    client_funding = account_for(kind=AccountKind.CLIENT_FUNDING, owner=contract.client)
    legs = [
        (client_funding, -invoice.total_cents),
        (in_review_account(contract), invoice.amount_cents),
    ]
    client_fee = invoice.marketplace_fee_cents + invoice.initiation_fee_cents
    if client_fee:
        legs.append(
            (
                platform_account(AccountKind.PLATFORM_FEE_REVENUE, spread=contract.client_id),
                client_fee,
            )
        )
    try:
        with transaction.atomic():
            charge = transfer_post(
                key=f"hourly_invoice:{invoice.pk}:charge",
                kind=HOURLY_CHARGE,
                description=f"Hourly invoice for the week of {invoice.week_start} "
                f"on contract {contract.pk}",
                legs=legs,
                metadata={
                    "contract_id": contract.pk,
                    "invoice_id": invoice.pk,
                    "amount_cents": invoice.amount_cents,
                    "marketplace_fee_cents": invoice.marketplace_fee_cents,
                    "initiation_fee_cents": invoice.initiation_fee_cents,
                },
                client=contract.client,
                freelancer=contract.freelancer,
            )
    except InsufficientFunds:
        reason = (
            f"Your balance does not cover the invoice's {Money(invoice.total_cents)}; add funds "
            "and it is charged again within the hour."
        )
        if invoice.failure_reason != reason:
            invoice.failure_reason = reason
            invoice.save(update_fields=["failure_reason"])
            event_emit(
                kind="hourly.invoice_charge_failed",
                payload={"invoice_id": invoice.pk, "contract_id": contract.pk},
            )
        return
    protected = invoice.state == InvoiceState.PROTECTED
    _move(invoice, InvoiceState.IN_REVIEW, charge=charge, charged_at=now, failure_reason="")
    if contract.first_funding_id is None and invoice.initiation_fee_cents:
        contract.first_funding = charge
        contract.initiation_fee_cents = invoice.initiation_fee_cents
        contract.save(update_fields=["first_funding", "initiation_fee_cents"])
    if protected:
        _recover(contract, invoice, now)


def _recover(contract: Contract, invoice: HourlyInvoice, now: datetime) -> None:
    """The client paid an invoice hourly protection had paid: the platform takes back what
    it paid, and the freelancer is paid the rest of the invoice (its review is over)."""
    transfer_post(
        key=f"hourly_invoice:{invoice.pk}:recover",
        kind=HOURLY_RECOVERY,
        description=f"Hourly protection repaid by the client's charge of invoice {invoice.pk}",
        legs=[
            (in_review_account(contract), -invoice.protected_cents),
            (
                platform_account(AccountKind.PLATFORM_PROTECTION_LOSSES, spread=contract.client_id),
                invoice.protected_cents,
            ),
        ],
        metadata={"contract_id": contract.pk, "invoice_id": invoice.pk},
        client=contract.client,
        freelancer=contract.freelancer,
    )
    _pay_to_freelancer(
        contract, invoice, now, amount_cents=invoice.amount_cents - invoice.protected_cents
    )


def _retry_charge(invoice_id: int, now: datetime) -> bool:
    with transaction.atomic():
        contract, invoice = _invoice_locked(invoice_id)
        return _charge_owed(contract, invoice, now)


def _invoice_locked(invoice_id: int) -> tuple[Contract, HourlyInvoice]:
    """The invoice's contract, the invoice, and for a protected one the pair's relationship
    row (its repayment pays the freelancer the rest), locked before any account, in the
    order every payment takes them."""
    invoice = HourlyInvoice.objects.select_related("contract").get(pk=invoice_id)
    contract = lock_contract(invoice.contract)
    invoice = HourlyInvoice.objects.select_for_update().get(pk=invoice_id)
    if invoice.state == InvoiceState.PROTECTED and invoice.charge_id is None:
        relationship_locked(freelancer=contract.freelancer, client=contract.client)
    return contract, invoice


def _charge_owed(contract: Contract, invoice: HourlyInvoice, now: datetime) -> bool:
    """Charge the locked invoice from the client's balance if it is still owed
    (`_invoice_locked`); whether it was charged."""
    if invoice.state not in OWED_STATES or invoice.charge_id is not None:
        return False
    accounts_lock(_invoice_accounts(contract, invoice))
    _charge(contract, invoice, now)
    return invoice.charge_id is not None


def _invoice_accounts(contract: Contract, invoice: HourlyInvoice) -> list[LedgerAccount]:
    """Every account charging the invoice touches: the client's balance, review and the fee;
    for a protected invoice also the platform's protection losses and the freelancer's
    pending balance (its repayment). Locked in one sweep before the first transfer posts, so
    the charge never holds some while it waits for the others in a cycle with another
    event."""
    accounts = [
        account_for(kind=AccountKind.CLIENT_FUNDING, owner=contract.client),
        in_review_account(contract),
        platform_account(AccountKind.PLATFORM_FEE_REVENUE, spread=contract.client_id),
    ]
    if invoice.state == InvoiceState.PROTECTED:
        accounts += [
            platform_account(AccountKind.PLATFORM_PROTECTION_LOSSES, spread=contract.client_id),
            account_for(kind=AccountKind.FREELANCER_PENDING, owner=contract.freelancer),
        ]
    return accounts


@dataclass
class _ChargedOnBooking:
    """Around a card charge's booking for an invoice (`spend_on_booking`), in its
    transaction: the invoice's rows are locked first (`_invoice_locked`), and the money just
    booked is taken into review before the transaction commits, so no other payment of the
    client's can spend it in between. `charged` says whether this booking charged the invoice
    (the run counts it). An invoice no longer owed (disputed meanwhile) leaves the money on
    the balance."""

    invoice_id: int
    now: datetime
    charged: bool = False

    def __call__(self) -> AbstractContextManager[CardSpending]:
        return spend_on_booking(self._locked, what=f"Hourly invoice {self.invoice_id}")

    def _locked(self) -> tuple[list[LedgerAccount], Callable[[], None]]:
        contract, invoice = _invoice_locked(self.invoice_id)

        def charge() -> None:
            # Settling several lost charges books each through here: one charged is enough.
            self.charged = _charge_owed(contract, invoice, self.now) or self.charged

        return _invoice_accounts(contract, invoice), charge


def hourly_invoice_run_due(*, now: datetime) -> dict[str, int]:
    """Invoice every locked week with time not yet invoiced, and charge again the invoices
    left unpaid. Safe to run twice, late, or twice at once."""
    issued = 0
    for contract_id, due in sorted(_uninvoiced_weeks(now).items()):
        contract = Contract.objects.get(pk=contract_id)
        for week in sorted(due):
            issued += bool(_isolated(invoice_issue, contract=contract, week=week, now=now))
    charged = 0
    # The oldest debts first, those hourly protection paid first of all.
    owed = HourlyInvoice.objects.filter(state__in=OWED_STATES, charge__isnull=True)
    order = owed.order_by(
        Case(When(state=InvoiceState.PROTECTED, then=0), default=1), "week_start", "id"
    )
    for invoice_id in list(order.values_list("pk", flat=True)):
        charged += bool(_isolated(_retry_charge, invoice_id, now))
    # What the balance could not cover goes to the card the client chose for the contract.
    for invoice_id in list(order.exclude(contract__hourly_card="").values_list("pk", flat=True)):
        charged += bool(_isolated(_charge_by_card, invoice_id, now))
    return {"issued": issued, "charged_again": charged, "unpaid": owed.count()}


def _charge_by_card(invoice_id: int, now: datetime) -> bool:
    """Charge the invoice's total to the contract's card through the gateway into the
    client's balance, and take it from there into review in the booking's own transaction
    (`_ChargedOnBooking`), as every card payment does (`card_pay_once`: an earlier charge
    whose answer was lost is settled and used first, booked charges still on the balance
    are used, a run that died after the gateway answered is booked by the next run's same
    call). A declined card is not tried again until the client changes it. Starts outside
    any transaction (the gateway is called between two). The balance step after the card's
    (`_retry_charge`) finds the invoice charged, or takes what a booking left on the
    balance."""
    invoice = HourlyInvoice.objects.select_related("contract").get(pk=invoice_id)
    contract = invoice.contract
    card = contract.hourly_card
    if not card or invoice.state not in OWED_STATES or invoice.charge_id is not None:
        return False
    if card_removed(user=contract.client, payment_method=card):
        return False
    on_booking = _ChargedOnBooking(invoice.pk, now)
    try:
        charge = card_pay_once(
            user=contract.client,
            subject=f"hourly_invoice:{invoice.pk}",
            card=card,
            total=invoice.total_cents,
            purpose=CardChargePurpose.DEPOSIT,
            around_booking=on_booking,
            paid=HourlyInvoice.objects.filter(pk=invoice.pk, charge__isnull=False).exists,
            retry_declined=False,
            description=f"Openlance hourly invoice {invoice.pk} for the week of "
            f"{invoice.week_start}",
            ledger_description=f"Card payment of hourly invoice {invoice.pk}",
            ledger_metadata={"contract_id": contract.pk, "invoice_id": invoice.pk},
        )
    except (PaymentGatewayUnavailable, CardChargeConflict, CardChargeUnsettled):
        logger.warning("hourly invoice %s: card charge not settled; next run", invoice.pk)
        return False
    if charge is not None and charge.state == CardChargeState.DECLINED:
        _card_declined(invoice.pk, charge.decline_reason)
        return False
    return _retry_charge(invoice.pk, now) or on_booking.charged


def _card_declined(invoice_id: int, reason: str) -> None:
    with transaction.atomic():
        invoice = HourlyInvoice.objects.select_for_update().get(pk=invoice_id)
        text = (
            f"Your card was declined ({reason or 'no reason given'}) and your balance does not "
            f"cover the invoice's {Money(invoice.total_cents)}: add funds or choose another "
            "card on the timesheet, and it is charged again within the hour."
        )
        if invoice.failure_reason != text:
            invoice.failure_reason = text
            invoice.save(update_fields=["failure_reason"])
            event_emit(
                kind="hourly.invoice_charge_failed",
                payload={"invoice_id": invoice.pk, "contract_id": invoice.contract_id},
            )


def contract_hourly_card_set(*, user: User, contract: Contract, card: str) -> Contract:
    """The client chooses the card their invoices on this contract are charged to when
    their balance does not cover one (blank: the balance only). Charged from the next run."""
    card = (card or "").strip()
    if len(card) > 100:
        raise InvalidInput(
            "A card is at most 100 characters.", field_errors={"card": ["Too long."]}
        )
    with transaction.atomic():
        contract = _locked_hourly_for(contract, user, "client")
        card_reference_check(user=user, payment_method=card)
        if contract.state == ContractState.ENDED and card:
            raise Conflict("The contract has ended: its last invoices are charged as they stand.")
        contract.hourly_card = card
        contract.save(update_fields=["hourly_card"])
    return contract


def _isolated(step: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run one contract-week's step of a billing run; a failure is logged and the run goes
    on with the others (the step's own transaction rolled back; the next run retries it)."""
    try:
        return step(*args, **kwargs)
    except (DomainError, DatabaseError):
        logger.exception("hourly billing step %s failed for %s %s", step.__name__, args, kwargs)
        return None


def _pay(invoice_id: int, now: datetime) -> bool:
    with transaction.atomic():
        invoice = HourlyInvoice.objects.select_related("contract").get(pk=invoice_id)
        contract = lock_contract(invoice.contract)
        invoice = HourlyInvoice.objects.select_for_update().get(pk=invoice_id)
        if invoice.state != InvoiceState.IN_REVIEW or now < invoice.review_ends_at:
            return False
        _pay_to_freelancer(contract, invoice, now, amount_cents=invoice.amount_cents)
        return True


def _pay_to_freelancer(
    contract: Contract, invoice: HourlyInvoice, now: datetime, *, amount_cents: int
) -> None:
    """Pay `amount_cents` of the invoice from review to the freelancer, with the service fee,
    pending until the Wednesday after the review week (later for a late charge); the invoice
    is paid."""
    if amount_cents:
        invoice.payment = payment_for_work(
            kind=PaymentKind.HOURLY_INVOICE,
            key=f"hourly_invoice:{invoice.pk}:pay",
            freelancer=contract.freelancer,
            client=contract.client,
            gross=Money(amount_cents),
            source=in_review_account(contract),
            schedule=contract_fee_policy(contract).freelancer_fee,
            description=f"Hourly invoice for the week of {invoice.week_start} "
            f"on contract {contract.pk}",
            metadata={"contract_id": contract.pk, "invoice_id": invoice.pk},
            available_at=weeks.available_from(invoice.week_start, invoice.charged_at),
        )
    _move(invoice, InvoiceState.PAID, payment=invoice.payment, paid_at=invoice.paid_at or now)
    event_emit(
        kind="hourly.invoice_paid",
        payload={"invoice_id": invoice.pk, "contract_id": contract.pk},
    )


def protected_seconds(invoice: HourlyInvoice) -> int:
    """The invoice's hours hourly protection covers: tracked (not manual), with a memo, and
    within the weekly limit. Tracked means a tracker uploaded it as it ran: an interval sent
    more than `PROTECTED_UPLOAD_WITHIN` after it ended could be typed in through the API,
    and is billed like any other but not protected."""
    tracked = [
        entry
        for entry in invoice.entries.filter(source=TimeEntrySource.TRACKED).exclude(memo="")
        if entry.created_at <= entry.ended_at + PROTECTED_UPLOAD_WITHIN
    ]
    return min(sum(entry.seconds for entry in tracked), invoice.seconds_billed)


def _protect(invoice_id: int, now: datetime) -> bool:
    """Pay the protected hours of an invoice whose charge failed and whose review is over,
    from the platform's protection-losses account, if the client's payment method is
    verified. The client still owes the invoice: each invoice run charges it again."""
    with transaction.atomic():
        invoice = HourlyInvoice.objects.select_related("contract").get(pk=invoice_id)
        contract = lock_contract(invoice.contract)
        invoice = HourlyInvoice.objects.select_for_update().get(pk=invoice_id)
        if invoice.state != InvoiceState.UNPAID or now < invoice.review_ends_at:
            return False
        verified = ClientProfile.objects.filter(
            user_id=contract.client_id, payment_method_verified=True
        ).exists()
        protected = weeks.amount_cents(protected_seconds(invoice), invoice.hourly_rate_cents)
        if not verified or protected <= 0:
            return False
        invoice.protection_payment = payment_for_work(
            kind=PaymentKind.HOURLY_INVOICE,
            key=f"hourly_invoice:{invoice.pk}:protect",
            freelancer=contract.freelancer,
            client=contract.client,
            gross=Money(protected),
            source=platform_account(
                AccountKind.PLATFORM_PROTECTION_LOSSES, spread=contract.client_id
            ),
            schedule=contract_fee_policy(contract).freelancer_fee,
            description=f"Hourly protection for the week of {invoice.week_start} "
            f"on contract {contract.pk}",
            metadata={"contract_id": contract.pk, "invoice_id": invoice.pk, "protected": True},
            available_at=weeks.available_at(invoice.week_start),
        )
        _move(
            invoice,
            InvoiceState.PROTECTED,
            protection_payment=invoice.protection_payment,
            protected_cents=protected,
            paid_at=now,
        )
        event_emit(
            kind="hourly.invoice_protected",
            payload={"invoice_id": invoice.pk, "contract_id": contract.pk},
        )
        return True


def hourly_review_close_run_due(*, now: datetime) -> dict[str, int]:
    """Pay the freelancer every charged invoice whose review window is over, and protect
    the unpaid ones that qualify. Safe to run twice: an invoice is paid once (its state
    under its lock, and the payments' keys)."""
    over = HourlyInvoice.objects.filter(review_ends_at__lte=now).order_by("week_start", "id")
    charged = list(over.filter(state=InvoiceState.IN_REVIEW).values_list("pk", flat=True))
    unpaid = list(over.filter(state=InvoiceState.UNPAID).values_list("pk", flat=True))
    return {
        "paid": sum(bool(_isolated(_pay, invoice_id, now)) for invoice_id in charged),
        "protected": sum(bool(_isolated(_protect, invoice_id, now)) for invoice_id in unpaid),
    }


# The reminder goes out a day before the week locks: Sunday 12:00 UTC.
REMIND_BEFORE_LOCK = timedelta(days=1)


def timesheet_reminders_run_due(*, now: datetime) -> int:
    """Remind each freelancer who may log manual time on an active hourly contract that
    the week locks tomorrow (Monday 11:59 UTC), once per contract-week, from Sunday noon
    until the week locks. Returns how many reminders were sent."""
    week = weeks.week_of(now)
    if not weeks.week_locks_at(week) - REMIND_BEFORE_LOCK <= now:
        week -= weeks.WEEK  # Monday morning: last week locks at noon
    if not weeks.week_locks_at(week) - REMIND_BEFORE_LOCK <= now < weeks.week_locks_at(week):
        return 0
    due = Contract.objects.filter(
        kind=ContractKind.HOURLY, state=ContractState.ACTIVE, manual_time_allowed=True
    ).exclude(pk__in=TimesheetReminder.objects.filter(week_start=week).values("contract_id"))
    sent = 0
    for contract_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            _, created = TimesheetReminder.objects.get_or_create(
                contract_id=contract_id, week_start=week, defaults={"sent_at": now}
            )
            if created:
                event_emit(
                    kind="hourly.week_locks_soon",
                    payload={"contract_id": contract_id, "week_start": week.isoformat()},
                )
                sent += 1
    return sent
