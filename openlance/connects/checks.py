"""Invariants of the Connects ledger, proven from the entries."""

from __future__ import annotations

from django.db.models import Sum

from openlance.connects.models import ConnectsAccount, ConnectsEntry, ConnectsLot, ConnectsMove


def _sums(field: str) -> dict[int, int]:
    rows = ConnectsEntry.objects.values(field).annotate(total=Sum("units"))
    return {row[field]: int(row["total"]) for row in rows}


def connects_violations() -> list[str]:
    violations: list[str] = []
    by_lot = _sums("lot_id")
    for lot in ConnectsLot.objects.all():
        if by_lot.get(lot.pk, 0) != lot.remaining:
            violations.append(
                f"lot {lot.pk}: remaining {lot.remaining} but entries sum to "
                f"{by_lot.get(lot.pk, 0)}"
            )
    by_move = _sums("move_id")
    for move in ConnectsMove.objects.all():
        if by_move.get(move.pk, 0) != move.units:
            violations.append(f"move {move.pk}: units {move.units} but entries sum differently")
    by_account = {
        row["account_id"]: int(row["total"])
        for row in ConnectsLot.objects.values("account_id").annotate(total=Sum("remaining"))
    }
    for account in ConnectsAccount.objects.all():
        if account.balance != by_account.get(account.pk, 0):
            violations.append(
                f"account {account.pk}: balance {account.balance} but lots hold "
                f"{by_account.get(account.pk, 0)}"
            )
        if account.balance < 0:
            violations.append(f"account {account.pk}: negative balance")
    return violations
