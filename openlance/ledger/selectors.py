from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet, Sum

from openlance.core.money import Money
from openlance.ledger.models import AccountKind, Entry, LedgerAccount


def accounts_of_user(*, user: AbstractBaseUser) -> QuerySet[LedgerAccount]:
    return LedgerAccount.objects.filter(owner_id=user.pk).order_by("kind", "currency")


def entries_of_user(*, user: AbstractBaseUser) -> QuerySet[Entry]:
    """The user's transaction lines, newest first, with what the web and API lists show."""
    return (
        Entry.objects.filter(account__owner_id=user.pk)
        .select_related("transfer", "account")
        .order_by("-transfer__created_at", "-id")
    )


def entries_of_account(*, account: LedgerAccount) -> QuerySet[Entry]:
    return account.entries.select_related("transfer").order_by("-id")


def platform_balance(kind: AccountKind | str, currency: str = "USD") -> Money:
    """What the platform holds in account `kind`: the sum of its sub-accounts (see
    PLATFORM_SHARDS), read without a lock, since a platform balance never blocks a transfer."""
    total = LedgerAccount.objects.filter(kind=kind, owner=None, currency=currency).aggregate(
        total=Sum("balance_cents")
    )["total"]
    return Money(total or 0, currency)
