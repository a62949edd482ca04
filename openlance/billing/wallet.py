"""Reads behind the wallet pages and API: balances by purpose, the fee breakdown of each
payment, the client's billing history and the CSV export of a user's transactions."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.db.models import F, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.http import StreamingHttpResponse

from openlance.accounts.models import User
from openlance.billing.models import Payment
from openlance.billing.selectors import MILESTONE_FUND, PAYMENT_KINDS
from openlance.core import clock
from openlance.core.charts import BarChart, Series, bar_chart, month_starts
from openlance.core.money import Money
from openlance.ledger.models import AccountKind, Entry, LedgerAccount, Transfer
from openlance.ledger.selectors import entries_of_user

WITHDRAWAL = "withdrawal"


@dataclass(frozen=True)
class WalletSummary:
    pending: Money
    available: Money
    client_funding: Money
    escrow: Money


def _balance(user: User, kind: AccountKind) -> Money:
    total = LedgerAccount.objects.filter(owner_id=user.pk, kind=kind).aggregate(
        total=Sum("balance_cents")
    )["total"]
    return Money(total or 0)


def escrow_accounts_of(*, user: User) -> QuerySet[LedgerAccount]:
    """The escrow accounts of the user's contracts, on either side. Escrow has no owner, so
    a contract is found through its funding transfers, which name both parties.

    Read in two steps so the cost follows the user's own history, whatever the size of the
    ledger and however the planner guesses it: first, now, the accounts that the user's
    milestone fundings moved money to or from (the fundings as a UNION of two index scans,
    one on each party's index of Transfer, never an OR over a join; then each funding's legs
    through the entry's (transfer, account) key); then, in the returned query, those of
    them that are escrow, by primary key, a literal list the planner counts exactly. In one
    query, PostgreSQL estimates a user's fundings from the marketplace's average: the OR and
    DISTINCT join this replaced started parallel workers for a user with a handful, and a
    join of the accounts in the same query hashes a scan of every escrow account."""
    by_client = Transfer.objects.filter(kind=MILESTONE_FUND, client_id=user.pk)
    by_freelancer = Transfer.objects.filter(kind=MILESTONE_FUND, freelancer_id=user.pk)
    funded = by_client.order_by().values("pk").union(by_freelancer.order_by().values("pk"))
    touched = (
        Entry.objects.filter(transfer__in=funded)
        .order_by()
        .values_list("account_id", flat=True)
        .distinct()
    )
    return LedgerAccount.objects.filter(kind=AccountKind.CONTRACT_ESCROW, pk__in=list(touched))


def wallet_summary(*, user: User) -> WalletSummary:
    escrow = escrow_accounts_of(user=user).aggregate(total=Sum("balance_cents"))["total"]
    return WalletSummary(
        pending=_balance(user, AccountKind.FREELANCER_PENDING),
        available=_balance(user, AccountKind.FREELANCER_AVAILABLE),
        client_funding=_balance(user, AccountKind.CLIENT_FUNDING),
        escrow=Money(escrow or 0),
    )


@dataclass(frozen=True)
class BreakdownLine:
    label: str
    cents: int


def _cents(metadata: dict[str, Any], field: str) -> int | None:
    value = metadata.get(field)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def fee_breakdown(transfer: Transfer) -> list[BreakdownLine]:
    """What a payment consisted of, from the metadata its service recorded: gross, fee and
    net of a payment to a freelancer; amount and client fees of a milestone funding; amount,
    method fee and sent amount of a withdrawal. Other transfers have none."""
    metadata = transfer.metadata or {}
    if transfer.kind in PAYMENT_KINDS:
        fields = [
            ("Gross", "gross_cents"),
            ("Service fee", "fee_cents"),
            ("Net to freelancer", "net_cents"),
        ]
    elif transfer.kind == MILESTONE_FUND:
        fields = [
            ("Milestone amount", "amount_cents"),
            ("Marketplace fee", "marketplace_fee_cents"),
            ("Contract initiation fee", "initiation_fee_cents"),
        ]
    elif transfer.kind == WITHDRAWAL:
        fields = [
            ("Withdrawn", "amount_cents"),
            ("Method fee", "fee_cents"),
            ("Sent", "net_cents"),
        ]
    else:
        return []
    lines = []
    for label, field in fields:
        cents = _cents(metadata, field)
        if cents is not None:
            lines.append(BreakdownLine(label, cents))
    return lines


@dataclass(frozen=True)
class BillingLine:
    transfer: Transfer
    amount: Money
    marketplace_fee: Money
    initiation_fee: Money

    @property
    def total(self) -> Money:
        return self.amount + self.marketplace_fee + self.initiation_fee


def billing_history(*, client: User) -> QuerySet[Transfer]:
    """The client's milestone fundings, newest first (wrap each with `billing_line`)."""
    return Transfer.objects.filter(kind=MILESTONE_FUND, client_id=client.pk).order_by(
        "-created_at", "-id"
    )


def billing_line(transfer: Transfer) -> BillingLine:
    metadata = transfer.metadata or {}
    return BillingLine(
        transfer=transfer,
        amount=Money(_cents(metadata, "amount_cents") or 0),
        marketplace_fee=Money(_cents(metadata, "marketplace_fee_cents") or 0),
        initiation_fee=Money(_cents(metadata, "initiation_fee_cents") or 0),
    )


CSV_HEADER = [
    "date_utc",
    "transfer_id",
    "kind",
    "description",
    "account",
    "amount",
    "currency",
    "balance_after",
    "gross",
    "service_fee",
    "net",
    "milestone_amount",
    "marketplace_fee",
    "initiation_fee",
    "method_fee",
]
_CSV_FIELDS = {
    "gross": ("Gross",),
    "service_fee": ("Service fee",),
    "net": ("Net to freelancer", "Sent"),
    "milestone_amount": ("Milestone amount",),
    "marketplace_fee": ("Marketplace fee",),
    "initiation_fee": ("Contract initiation fee",),
    "method_fee": ("Method fee",),
}


class _Echo:
    """A file-like sink: csv.writer hands back each formatted row instead of storing it."""

    def write(self, value: str) -> str:
        return value


def _safe(text: str) -> str:
    # A cell starting with = + - @ would run as a formula in a spreadsheet.
    return f"'{text}" if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


def _row(entry: Entry) -> list[str]:
    lines = {line.label: line.cents for line in fee_breakdown(entry.transfer)}
    extra = []
    for labels in _CSV_FIELDS.values():
        cents = next((lines[label] for label in labels if label in lines), None)
        extra.append("" if cents is None else Money(cents).amount)
    return [
        entry.transfer.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        str(entry.transfer_id),
        entry.transfer.kind,
        _safe(entry.transfer.description),
        entry.account.get_kind_display(),
        Money(entry.amount_cents, entry.currency).amount,
        entry.currency,
        Money(entry.balance_after_cents, entry.currency).amount,
        *extra,
    ]


def transactions_csv(*, user: User) -> Iterator[str]:
    """The user's transactions as CSV lines, oldest first, read in chunks so an export of
    any length streams in constant memory."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    entries = entries_of_user(user=user).order_by("transfer__created_at", "id")
    for entry in entries.iterator(chunk_size=500):
        yield writer.writerow(_row(entry))


def transactions_csv_response(*, user: User) -> StreamingHttpResponse:
    """The CSV export as a private download, for the wallet page and the API alike."""
    response = StreamingHttpResponse(
        transactions_csv(user=user), content_type="text/csv; charset=utf-8"
    )
    stamp = clock.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="openlance-transactions-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


# The wallet's charts cover the last year, month by month.
CHART_MONTHS = 12


def _by_month(payments: QuerySet[Payment], now: datetime) -> tuple[list[date], dict[date, Any]]:
    months = month_starts(now, CHART_MONTHS)
    start = datetime(months[0].year, months[0].month, 1, tzinfo=UTC)
    rows = (
        payments.filter(created_at__gte=start)
        .annotate(month=TruncMonth("created_at", tzinfo=UTC))
        .values("month")
        .annotate(
            gross=Sum(F("gross_cents") - F("refunded_cents")),
            fee=Sum(F("fee_cents") - F("refunded_fee_cents")),
        )
    )
    return months, {row["month"].date(): row for row in rows}


def earnings_chart(*, freelancer: User) -> BarChart:
    """Gross, fees and net by month over the last year (SPEC §13.2), net of refunds, in
    the month each payment was made."""
    months, rows = _by_month(
        Payment.objects.filter(relationship__freelancer=freelancer), clock.now()
    )
    gross = tuple(int(rows[m]["gross"]) if m in rows else 0 for m in months)
    fee = tuple(int(rows[m]["fee"]) if m in rows else 0 for m in months)
    return bar_chart(
        "Earnings by month",
        [f"{m:%b}" for m in months],
        [
            Series("Gross", gross),
            Series("Fees", fee),
            Series("Net", tuple(g - f for g, f in zip(gross, fee, strict=True))),
        ],
    )


def spending_chart(*, client: User) -> BarChart:
    """What the client paid freelancers by month over the last year, net of refunds."""
    months, rows = _by_month(Payment.objects.filter(relationship__client=client), clock.now())
    paid = tuple(int(rows[m]["gross"]) if m in rows else 0 for m in months)
    return bar_chart(
        "Paid to freelancers by month", [f"{m:%b}" for m in months], [Series("Paid", paid)]
    )


def net_earned_since(*, freelancer: User, since: datetime) -> Money:
    """What the freelancer was paid since `since`, after fees and refunds."""
    total = Payment.objects.filter(
        relationship__freelancer=freelancer, created_at__gte=since
    ).aggregate(net=Sum(F("net_cents") - (F("refunded_cents") - F("refunded_fee_cents"))))["net"]
    return Money(int(total or 0))
