"""The invariants of SPEC §8.1, each as a query that lists what breaks it."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, F, Sum, Window

from openlance.ledger.models import MAY_GO_NEGATIVE, Entry, LedgerAccount, Transfer


def ledger_violations() -> list[str]:
    """Every broken invariant as a human-readable line; empty when the ledger is sound."""
    problems: list[str] = []

    unbalanced = (
        Entry.objects.values("transfer_id").annotate(total=Sum("amount_cents")).exclude(total=0)
    )
    problems += [
        f"transfer {row['transfer_id']}: entries sum to {row['total']}, not 0" for row in unbalanced
    ]

    thin = Transfer.objects.annotate(legs=Count("entries")).filter(legs__lt=2)
    problems += [f"transfer {t.pk}: has {t.legs} legs, needs at least 2" for t in thin]

    mixed = Entry.objects.exclude(currency=F("account__currency")) | Entry.objects.exclude(
        currency=F("transfer__currency")
    )
    problems += [f"entry {e.pk}: currency differs from its account or transfer" for e in mixed]

    totals: dict[str, int] = defaultdict(int)
    for account in LedgerAccount.objects.annotate(entry_sum=Sum("entries__amount_cents")):
        entry_sum = account.entry_sum or 0
        totals[account.currency] += account.balance_cents
        if entry_sum != account.balance_cents:
            problems.append(
                f"account {account.code}: balance {account.balance_cents}, entries sum {entry_sum}"
            )
        if account.may_go_negative != (account.kind in MAY_GO_NEGATIVE):
            problems.append(f"account {account.code}: may_go_negative does not match its kind")
        if not account.may_go_negative and account.balance_cents < 0:
            problems.append(f"account {account.code}: overdrawn at {account.balance_cents}")
    problems += [
        f"currency {currency}: balances sum to {total}, not 0"
        for currency, total in totals.items()
        if total != 0
    ]

    running = Entry.objects.annotate(
        running=Window(Sum("amount_cents"), partition_by=[F("account_id")], order_by=F("id").asc())
    ).values_list("id", "balance_after_cents", "running")
    problems += [
        f"entry {entry_id}: balance_after {after} but the running balance is {total}"
        for entry_id, after, total in running
        if after != total
    ]

    for reversal in Transfer.objects.filter(reverses__isnull=False).select_related("reverses"):
        original = reversal.reverses
        assert original is not None
        mine = sorted(reversal.entries.values_list("account_id", "amount_cents"))
        mirrored = sorted(
            (acc, -amt) for acc, amt in original.entries.values_list("account_id", "amount_cents")
        )
        if mine != mirrored:
            problems.append(f"transfer {reversal.pk}: does not mirror transfer {original.pk}")

    return problems
