"""The payment invariants: every relationship's totals and every payment record equal what
the ledger booked, and no card charge is left unsettled past the replay window (run by
`manage.py payments_check`, and so by `ledger_check`)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.db.models import Count, Sum

from openlance.billing.models import CardCharge, CardChargeState, Payment, Relationship
from openlance.billing.payments import PAYMENT_REFUND
from openlance.billing.selectors import PAYMENT_KINDS
from openlance.billing.services import CARD_CHARGE_REPLAY_WINDOW
from openlance.core import clock
from openlance.ledger.models import AccountKind, Entry

# Every transfer that changes what a freelancer has billed a client: the payments, their
# refunds, and a reversal of a whole payment.
BILLING_KINDS = frozenset(PAYMENT_KINDS | {f"{kind}.reversal" for kind in PAYMENT_KINDS})
FREELANCER_KINDS = (AccountKind.FREELANCER_PENDING, AccountKind.FREELANCER_AVAILABLE)


def payment_violations(*, now: datetime | None = None) -> list[str]:
    """Every broken payment invariant as of `now` (the clock's now without it), one line
    each."""
    problems = _stale_card_charges(now=now or clock.now())
    booked: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: {"fee": 0, "net": 0})
    entries = (
        Entry.objects.filter(transfer__kind__in=BILLING_KINDS | {PAYMENT_REFUND})
        .filter(account__kind__in=(AccountKind.PLATFORM_FEE_REVENUE, *FREELANCER_KINDS))
        .values("transfer__freelancer_id", "transfer__client_id", "account__kind")
        .annotate(total=Sum("amount_cents"))
    )
    for row in entries:
        pair = (row["transfer__freelancer_id"], row["transfer__client_id"])
        part = "fee" if row["account__kind"] == AccountKind.PLATFORM_FEE_REVENUE else "net"
        booked[pair][part] += row["total"]
    counted = dict(
        Payment.objects.values_list("relationship_id")
        .annotate(n=Count("id"))
        .values_list("relationship_id", "n")
    )
    for relationship in Relationship.objects.all().iterator(chunk_size=2000):
        pair = (relationship.freelancer_id, relationship.client_id)
        ledger = booked.pop(pair, {"fee": 0, "net": 0})
        if (relationship.fee_cents, relationship.net_cents) != (ledger["fee"], ledger["net"]):
            problems.append(
                f"relationship {relationship.pk}: fee {relationship.fee_cents} and net "
                f"{relationship.net_cents}, but the ledger booked fee {ledger['fee']} and "
                f"net {ledger['net']}"
            )
        if relationship.payments != counted.get(relationship.pk, 0):
            problems.append(
                f"relationship {relationship.pk}: counts {relationship.payments} payments, "
                f"has {counted.get(relationship.pk, 0)}"
            )
    problems += [
        f"freelancer {freelancer} / client {client}: paid in the ledger with no relationship"
        for (freelancer, client), ledger in booked.items()
        if ledger["fee"] or ledger["net"]
    ]
    legs = (
        Entry.objects.filter(transfer__payment__isnull=False)
        .values("transfer__payment__id", "account__kind")
        .annotate(total=Sum("amount_cents"))
    )
    paid: dict[int, dict[str, int]] = defaultdict(lambda: {"fee": 0, "net": 0})
    for row in legs:
        if row["account__kind"] == AccountKind.PLATFORM_FEE_REVENUE:
            paid[row["transfer__payment__id"]]["fee"] += row["total"]
        elif row["account__kind"] in FREELANCER_KINDS:
            paid[row["transfer__payment__id"]]["net"] += row["total"]
    for payment in Payment.objects.all().iterator(chunk_size=2000):
        ledger = paid.get(payment.pk, {"fee": 0, "net": 0})
        if (payment.fee_cents, payment.net_cents) != (ledger["fee"], ledger["net"]):
            problems.append(
                f"payment {payment.pk}: fee {payment.fee_cents} and net {payment.net_cents}, "
                f"but its transfer booked fee {ledger['fee']} and net {ledger['net']}"
            )
    return problems


def _stale_card_charges(*, now: datetime) -> list[str]:
    """Charges still `sent` past the replay window: money perhaps taken and booked nowhere,
    which the reconcile rule no longer replays (`card_charges_reconcile_run_due` counts
    them as stale with the same boundary)."""
    stale = CardCharge.objects.filter(
        state=CardChargeState.SENT, created_at__lt=now - CARD_CHARGE_REPLAY_WINDOW
    ).order_by("created_at", "id")
    return [
        f"card charge {charge.key} ({charge.amount_cents} {charge.currency} for "
        f"{charge.subject}, user {charge.user_id}) sent to the gateway at "
        f"{charge.created_at:%Y-%m-%d %H:%M} UTC and never booked nor declined: settle it "
        "with manage.py card_charges_reconcile --book or --not-charged"
        for charge in stale
    ]
