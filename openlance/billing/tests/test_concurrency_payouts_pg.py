"""Two "get paid now" requests race for one available balance, 200 times: each time exactly
one is paid, the balance never goes below zero, and the ledger stays sound. PostgreSQL only
(SQLite has a single writer, so there is no race to prove there)."""

import threading

import pytest
from django.db import connection, connections

from openlance.accounts.tests.factories import freelancer_user
from openlance.billing.models import Payout
from openlance.billing.payouts import withdrawal_create
from openlance.billing.tests.payout_helpers import usable_method
from openlance.core.errors import InsufficientFunds
from openlance.core.money import Money
from openlance.ledger.checks import ledger_violations
from openlance.ledger.models import AccountKind, LedgerAccount
from openlance.ledger.services import account_for, transfer_post

TRIALS = 200
RACERS = 2
BALANCE = 10_000
AMOUNT = 7_000

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row-lock races need PostgreSQL (.ci/run runs it)"
)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_withdrawals_racing_for_one_balance_never_overdraw():
    user = freelancer_user()
    usable_method(user)
    wallet = account_for(kind=AccountKind.FREELANCER_AVAILABLE, owner=user)
    clearing = account_for(kind=AccountKind.GATEWAY_CLEARING)
    start, done = threading.Barrier(RACERS + 1), threading.Barrier(RACERS + 1)
    outcomes: list[list[str]] = [[] for _ in range(TRIALS)]
    lock = threading.Lock()

    def racer(index: int) -> None:
        try:
            for trial in range(TRIALS):
                start.wait()
                try:
                    withdrawal_create(user=user, amount=Money(AMOUNT), key=f"race:{trial}:{index}")
                    result = "paid"
                except InsufficientFunds:
                    result = "refused"
                with lock:
                    outcomes[trial].append(result)
                done.wait()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=racer, args=(n,)) for n in range(RACERS)]
    for thread in threads:
        thread.start()
    for trial in range(TRIALS):
        wallet.refresh_from_db()
        top_up = BALANCE - wallet.balance_cents
        transfer_post(
            key=f"race:fund:{trial}",
            kind="test.fund",
            description="Top-up for a race",
            legs=[(clearing, -top_up), (wallet, top_up)],
        )
        start.wait()
        done.wait()
        wallet.refresh_from_db()
        assert wallet.balance_cents == BALANCE - AMOUNT, trial
    for thread in threads:
        thread.join()

    assert all(sorted(trial) == ["paid", "refused"] for trial in outcomes)
    assert Payout.objects.filter(user=user).count() == TRIALS
    assert LedgerAccount.objects.filter(balance_cents__lt=0, may_go_negative=False).count() == 0
    assert ledger_violations() == []
