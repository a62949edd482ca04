from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import BigIntegerField, DateTimeField, QuerySet, Sum, Value

from openlance.accounts.models import User
from openlance.connects.models import ConnectsAccount, ConnectsLot, ConnectsMove
from openlance.core import clock
from openlance.core.prepared import PreparedRead, Slot


def connects_balance(*, user: User) -> int:
    """Connects the user can spend now: what is left in lots not yet past their date (the
    hourly expiry run may not have caught up with a lot that just expired). In the header
    of every page a freelancer sees: a prepared read (the ORM built it in 0.2 ms)."""
    ((total,),) = _BALANCE.rows(user_id=user.pk, now=clock.now())
    return int(total or 0)


# The constant left out of GROUP BY makes one row over all the lots that match, even none.
_BALANCE = PreparedRead(
    lambda: (
        ConnectsLot.objects.filter(
            account__user_id=Slot("user_id", BigIntegerField()),
            remaining__gt=0,
            expires_at__gt=Slot("now", DateTimeField()),
        )
        .order_by()
        .annotate(whole=Value(1))
        .values("whole")
        .annotate(total=Sum("remaining"))
        .values_list("total")
    )
)


def connects_account(*, user: User) -> ConnectsAccount | None:
    return ConnectsAccount.objects.filter(user=user).first()


def connects_history(*, user: User) -> QuerySet[ConnectsMove]:
    return ConnectsMove.objects.filter(account__user=user).order_by("-created_at", "-id")


def connects_expiring_soon(*, user: User, within: timedelta) -> QuerySet[ConnectsLot]:
    """Lots with Connects left that lapse within `within`, soonest first."""
    now = clock.now()
    return ConnectsLot.objects.filter(
        account__user=user, remaining__gt=0, expires_at__gt=now, expires_at__lte=now + within
    ).order_by("expires_at", "id")


def connects_accounts_due(*, now: datetime) -> QuerySet[ConnectsAccount]:
    """Accounts whose monthly date has come, oldest date first."""
    return (
        ConnectsAccount.objects.filter(next_grant_at__lte=now)
        .select_related("user")
        .order_by("next_grant_at", "id")
    )


def balance_at_month_ends(*, user: User, months: list[datetime]) -> list[int]:
    """The Connects balance at each of `months` (each the first instant of the month after
    the one it stands for): the balance after the last move before it, 0 before any."""
    moves = ConnectsMove.objects.filter(account__user=user).order_by("-created_at", "-id")
    return [
        int(moves.filter(created_at__lt=end).values_list("balance_after", flat=True).first() or 0)
        for end in months
    ]
