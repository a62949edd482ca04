"""Test data for payouts: earnings posted like a milestone release would, and methods that
are already past their activation hold."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Sum

from openlance.accounts.models import User
from openlance.accounts.tests.factories import client_user
from openlance.billing.models import PendingEarning, WithdrawalMethod
from openlance.billing.payouts import earning_release, withdrawal_method_add
from openlance.billing.tests.factories import paid_for_work
from openlance.core import clock
from openlance.ledger.models import AccountKind, LedgerAccount


def pending_earning(freelancer: User, cents: int, n: int = 1) -> PendingEarning:
    """`cents` paid into the freelancer's pending balance from a contract escrow, by a
    client of their own, with no service fee."""
    payer = User.objects.filter(email=f"payer-{freelancer.pk}@example.com").first()
    payer = payer or client_user(email=f"payer-{freelancer.pk}@example.com")
    payment = paid_for_work(
        freelancer,
        payer,
        cents,
        n=freelancer.pk * 1000 + n,
        key=f"test:release:{freelancer.pk}:{n}",
    )
    return PendingEarning.objects.get(transfer=payment.transfer)


def available(freelancer: User, cents: int, n: int = 1) -> PendingEarning:
    earning = pending_earning(freelancer, cents, n)
    return earning_release(earning=earning)


def balance(user: User | None, kind: AccountKind) -> int:
    """The user's balance of `kind`; for a platform account (no user), all its shards."""
    accounts = LedgerAccount.objects.filter(kind=kind, owner=user)
    return accounts.aggregate(total=Sum("balance_cents"))["total"] or 0


def usable_method(
    user: User, *, kind: str = "ach", destination: str = "ba_test_ok", at: datetime | None = None
) -> WithdrawalMethod:
    """A method added 3 days before `at` (default now), so it is already usable."""
    moment = (at or clock.now()) - timedelta(days=3)
    with clock.frozen_at(moment):
        return withdrawal_method_add(user=user, kind=kind, destination=destination, last4="6789")
