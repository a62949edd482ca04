from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet

from openlance.ledger.models import Entry, LedgerAccount


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
