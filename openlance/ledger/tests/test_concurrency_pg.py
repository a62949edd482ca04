"""Eight threads drain one account at once. Row locks in sorted order must serialize them:
no overdraft, no lost update, balances still sum to zero. PostgreSQL only (SQLite has a
single writer, so there is no race to prove there)."""

import threading

import pytest
from django.db import connection, connections

from openlance.core.errors import InsufficientFunds
from openlance.ledger.checks import ledger_violations
from openlance.ledger.models import LedgerAccount, Transfer
from openlance.ledger.tests.factories import escrow, funded_escrow

THREADS = 8
ATTEMPTS_PER_THREAD = 10
AMOUNT = 700
START_BALANCE = 25_000

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row-lock races need PostgreSQL (.ci/run runs it)"
)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_racing_transfers_never_overdraw_or_lose_updates():
    source = funded_escrow(START_BALANCE, n=100)
    targets = [escrow(200 + n) for n in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    from openlance.ledger.services import transfer_post

    def drain(index: int) -> None:
        try:
            barrier.wait()
            for attempt in range(ATTEMPTS_PER_THREAD):
                try:
                    transfer_post(
                        key=f"race:{index}:{attempt}",
                        kind="race",
                        description="race",
                        legs=[(source, -AMOUNT), (targets[index], AMOUNT)],
                    )
                    result = "ok"
                except InsufficientFunds:
                    result = "refused"
                with lock:
                    outcomes.append(result)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=drain, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    succeeded = outcomes.count("ok")
    assert len(outcomes) == THREADS * ATTEMPTS_PER_THREAD
    assert succeeded == START_BALANCE // AMOUNT
    source.refresh_from_db()
    assert source.balance_cents == START_BALANCE - succeeded * AMOUNT >= 0
    moved = sum(
        LedgerAccount.objects.filter(pk__in=[t.pk for t in targets]).values_list(
            "balance_cents", flat=True
        )
    )
    assert moved == succeeded * AMOUNT
    assert Transfer.objects.filter(kind="race").count() == succeeded
    assert ledger_violations() == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_racing_replays_of_one_key_post_once():
    source = funded_escrow(START_BALANCE, n=101)
    target = escrow(300)
    barrier = threading.Barrier(THREADS)
    ids: list[int] = []
    lock = threading.Lock()

    from openlance.ledger.services import transfer_post

    def replay() -> None:
        try:
            barrier.wait()
            transfer = transfer_post(
                key="race:same-key",
                kind="race",
                description="race",
                legs=[(source, -AMOUNT), (target, AMOUNT)],
            )
            with lock:
                ids.append(transfer.pk)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=replay) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(ids) == THREADS
    assert len(set(ids)) == 1
    source.refresh_from_db()
    assert source.balance_cents == START_BALANCE - AMOUNT
    assert ledger_violations() == []
