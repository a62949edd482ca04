"""A card is charged once for something that can be paid once, however many requests ask at
the same moment: eight requests, each with its own idempotency key for Plus (eight tabs), or
the same key for a deposit or a Connects bundle (a client retrying), 200 times over.
PostgreSQL only (SQLite has a single writer, so there is no race to prove there)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections

from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.billing.connects import connects_bundle_buy, connects_plus_subscribe
from openlance.billing.models import ChargeClaim, SandboxOperation
from openlance.billing.services import funds_deposit
from openlance.connects.models import ConnectsAccount, Plan
from openlance.core.errors import DomainError
from openlance.core.money import Money
from openlance.ledger.checks import ledger_violations
from openlance.ledger.models import Transfer

TRIALS = 200
REQUESTS = 8

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row-lock races need PostgreSQL (.ci/run runs it)"
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def race(request: Callable[[int], object]) -> list[str]:
    """Run `request(n)` for n in 0..REQUESTS-1 from threads released at once; each outcome is
    "ok" or the refusal's class name."""
    barrier = threading.Barrier(REQUESTS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(n: int) -> None:
        try:
            barrier.wait()
            try:
                request(n)
                outcome = "ok"
            except DomainError as refusal:
                outcome = type(refusal).__name__
            with lock:
                outcomes.append(outcome)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def _charges(**filters) -> int:
    return SandboxOperation.objects.filter(
        kind=SandboxOperation.Kind.CHARGE, status=SandboxOperation.Status.SUCCEEDED, **filters
    ).count()


def test_eight_tabs_subscribing_to_plus_charge_the_card_once():
    for trial in range(TRIALS):
        user = freelancer_user()
        outcomes = race(
            lambda n, user=user: connects_plus_subscribe(
                user=user, payment_method="pm_card_visa", key=f"tab {n}"
            )
        )
        assert outcomes.count("ok") >= 1, (trial, outcomes)
        assert set(outcomes) <= {"ok", "InvalidTransition"}, (trial, outcomes)
        assert _charges(idempotency_key__startswith=f"connects-plus:{user.pk}:") == 1, (
            trial,
            outcomes,
        )
        assert ConnectsAccount.objects.get(user=user).plan == Plan.PLUS
    assert Transfer.objects.filter(kind="connects_plus").count() == TRIALS
    assert not ChargeClaim.objects.exists()
    assert ledger_violations() == []


def test_a_deposit_retried_eight_times_at_once_charges_and_books_once():
    for trial in range(TRIALS):
        user = client_user()
        outcomes = race(
            lambda n, user=user: funds_deposit(
                user=user, amount=Money(5_000), payment_method="pm_card_visa", key="top-up"
            )
        )
        assert outcomes == ["ok"] * REQUESTS, (trial, outcomes)
        assert _charges(idempotency_key__startswith=f"deposit:{user.pk}:") == 1
    assert Transfer.objects.filter(kind="deposit").count() == TRIALS
    assert ledger_violations() == []


def test_a_bundle_bought_eight_times_at_once_with_one_key_charges_and_grants_once():
    for trial in range(TRIALS):
        user = freelancer_user()
        outcomes = race(
            lambda n, user=user: connects_bundle_buy(
                user=user, bundle=10, payment_method="pm_card_visa", key="bundle"
            )
        )
        assert outcomes == ["ok"] * REQUESTS, (trial, outcomes)
        assert _charges(idempotency_key__startswith=f"connects-bundle:{user.pk}:") == 1
    assert Transfer.objects.filter(kind="connects_purchase").count() == TRIALS
    assert ledger_violations() == []
