"""The pending balance (SPEC §8.5): a payment to a freelancer waits out its security period
before it can be withdrawn."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection

from openlance.accounts.models import User
from openlance.billing.models import EarningKind, PendingEarning
from openlance.core import clock
from openlance.core.money import Money
from openlance.ledger.models import Transfer

SECURITY_PERIOD = timedelta(days=5)


def earning_hold(
    *,
    freelancer: User,
    kind: EarningKind | str,
    amount: Money,
    transfer: Transfer,
    available_at: datetime | None = None,
) -> PendingEarning:
    """Record that `transfer` put `amount` in the freelancer's pending balance. Call it in the
    transaction that posted the transfer; milestone, bonus and expense payments become
    available after the security period unless `available_at` says otherwise (hourly)."""
    if not connection.in_atomic_block:
        raise RuntimeError("earning_hold must run in the transaction that posted the payment")
    existing = PendingEarning.objects.filter(transfer=transfer).first()
    if existing is not None:
        return existing
    now = clock.now()
    return PendingEarning.objects.create(
        freelancer=freelancer,
        kind=EarningKind(kind),
        amount_cents=amount.cents,
        transfer=transfer,
        available_at=available_at or now + SECURITY_PERIOD,
        created_at=now,
    )
