"""Reads over a contract's bonuses, for its two parties (the contract is scoped by the
caller through `contracts.selectors`)."""

from __future__ import annotations

from django.db.models import QuerySet

from openlance.contracts.models import Bonus, Contract


def bonuses_of(*, contract: Contract) -> QuerySet[Bonus]:
    return (
        Bonus.objects.filter(contract=contract)
        .select_related("payment")
        .order_by("-created_at", "-id")
    )
