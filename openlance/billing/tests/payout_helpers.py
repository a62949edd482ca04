"""Test data for payouts: earnings posted like a milestone release would, and methods that
are already past their activation hold."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction

from openlance.accounts.models import User
from openlance.billing.earnings import earning_hold
from openlance.billing.models import PendingEarning, WithdrawalMethod
from openlance.billing.payouts import earning_release, withdrawal_method_add
from openlance.core import clock
from openlance.core.money import Money
from openlance.ledger.models import AccountKind, LedgerAccount
from openlance.ledger.services import account_for, transfer_post


def pending_earning(freelancer: User, cents: int, n: int = 1) -> PendingEarning:
    """`cents` paid into the freelancer's pending balance from a contract escrow."""
    escrow = account_for(
        kind=AccountKind.CONTRACT_ESCROW, reference=f"contract:t{freelancer.pk}:{n}"
    )
    with transaction.atomic():
        transfer_post(
            key=f"test:escrow:{freelancer.pk}:{n}",
            kind="test.fund",
            description="Escrow for a test",
            legs=[(account_for(kind=AccountKind.GATEWAY_CLEARING), -cents), (escrow, cents)],
        )
        transfer = transfer_post(
            key=f"test:release:{freelancer.pk}:{n}",
            kind="milestone_release",
            description="Milestone released",
            legs=[
                (escrow, -cents),
                (account_for(kind=AccountKind.FREELANCER_PENDING, owner=freelancer), cents),
            ],
            metadata={
                "freelancer_id": freelancer.pk,
                "client_id": 0,
                "gross_cents": cents,
                "fee_cents": 0,
                "net_cents": cents,
            },
        )
        return earning_hold(
            freelancer=freelancer, kind="milestone", amount=Money(cents), transfer=transfer
        )


def available(freelancer: User, cents: int, n: int = 1) -> PendingEarning:
    earning = pending_earning(freelancer, cents, n)
    return earning_release(earning=earning)


def balance(user: User | None, kind: AccountKind) -> int:
    account = LedgerAccount.objects.filter(kind=kind, owner=user).first()
    return account.balance_cents if account else 0


def usable_method(
    user: User, *, kind: str = "ach", destination: str = "ba_test_ok", at: datetime | None = None
) -> WithdrawalMethod:
    """A method added 3 days before `at` (default now), so it is already usable."""
    moment = (at or clock.now()) - timedelta(days=3)
    with clock.frozen_at(moment):
        return withdrawal_method_add(user=user, kind=kind, destination=destination, last4="6789")
