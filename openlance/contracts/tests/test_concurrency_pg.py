"""Two approvals of one milestone at once release it once, 200 times over. The milestone's
row lock decides: one approval pays, the other finds it approved. A card's money for one
milestone is never spent by another payment of the client's before it reaches escrow.
PostgreSQL only (SQLite has a single writer, so there is no race to prove there)."""

import threading
import time
from functools import partial

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from openlance.billing.checks import payment_violations
from openlance.billing.models import (
    CardCharge,
    CardChargeState,
    Payment,
    Relationship,
    SandboxOperation,
)
from openlance.contracts.common import escrow_account
from openlance.contracts.milestones.funding import milestone_fund
from openlance.contracts.milestones.release import milestone_approve
from openlance.contracts.milestones.submissions import milestone_submit
from openlance.contracts.models import Milestone, MilestoneState, Submission
from openlance.contracts.tests.factories import contract_fixed
from openlance.core import clock
from openlance.core.errors import InsufficientFunds, InvalidTransition
from openlance.core.tests.racers import Racers
from openlance.ledger.checks import ledger_violations
from openlance.ledger.models import AccountKind, Transfer
from openlance.ledger.services import account_for, transfer_post

TRIALS = 200
AMOUNT = 1_000

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row-lock races need PostgreSQL (.ci/run runs it)"
)


def submitted_milestones(contract, count: int, amount: int = AMOUNT) -> list[Milestone]:
    """Cheap trials: funded, submitted milestones written straight onto one contract, their
    escrow paid in at once from outside."""
    now = clock.now()
    rows = Milestone.objects.bulk_create(
        Milestone(
            contract=contract,
            position=100 + n,
            description=f"Race {n}",
            amount_cents=amount,
            state=MilestoneState.SUBMITTED,
            funded_cents=amount,
            funded_at=now,
            submitted_at=now,
        )
        for n in range(count)
    )
    Submission.objects.bulk_create(
        Submission(milestone=row, message="Done", was_funded=True, created_at=now) for row in rows
    )
    transfer_post(
        key=f"race:{contract.pk}:escrow:{amount}:{count}",
        kind="race_setup",
        description="Escrow for the race",
        legs=[
            (account_for(kind=AccountKind.GATEWAY_CLEARING), -amount * count),
            (escrow_account(contract), amount * count),
        ],
    )
    return list(Milestone.objects.filter(pk__in=[row.pk for row in rows]).order_by("pk"))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_approvals_of_one_milestone_release_it_once():
    contract = contract_fixed((AMOUNT,))
    milestones = submitted_milestones(contract, TRIALS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def approve(milestone: Milestone, barrier: threading.Barrier) -> None:
        try:
            barrier.wait()
            try:
                milestone_approve(client=contract.client, milestone=milestone)
                result = "released"
            except InvalidTransition:
                result = "refused"
            with lock:
                outcomes.append(result)
        finally:
            connections.close_all()

    for milestone in milestones:
        barrier = threading.Barrier(2)
        pair = [threading.Thread(target=approve, args=(milestone, barrier)) for _ in range(2)]
        for thread in pair:
            thread.start()
        for thread in pair:
            thread.join()

    assert outcomes.count("released") == TRIALS
    assert outcomes.count("refused") == TRIALS
    releases = Transfer.objects.filter(kind="milestone_release", metadata__contract_id=contract.pk)
    assert releases.count() == TRIALS
    assert (
        Milestone.objects.filter(pk__in=[m.pk for m in milestones], released_cents=AMOUNT).count()
        == TRIALS
    )
    # Every release priced off the billings before it: together they pay the fee on the sum.
    gross = sum(int(t.metadata["gross_cents"]) for t in releases)
    assert gross == TRIALS * AMOUNT
    assert sorted(int(t.metadata["billed_before_cents"]) for t in releases) == [
        n * AMOUNT for n in range(TRIALS)
    ]
    assert ledger_violations() == []


@pytest.mark.django_db
def test_milestone_writes_lock_the_contract_then_the_milestone_and_never_the_fee_policy():
    contract = contract_fixed((10_000,))
    milestone = contract.milestones.get()
    with CaptureQueriesContext(connection) as queries:
        milestone_submit(
            freelancer=contract.freelancer,
            milestone=milestone,
            message="Done",
            acknowledge_unfunded=True,
        )
    locks = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    assert locks[0].startswith('SELECT "contracts_contract"')
    assert locks[1].endswith('FOR UPDATE OF "contracts_milestone"')
    assert not any("core_policy" in sql and "FOR UPDATE OF" not in sql for sql in locks)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_eight_tabs_funding_one_milestone_by_card_charge_once():
    """Each tab pays with a card of its own, so the gateway's key cannot merge the charges:
    only the funding's claim keeps the second card from being charged."""
    cards = ("pm_card_visa", "pm_card_mastercard")
    tabs = 8
    outcomes: list[str] = []
    lock = threading.Lock()

    def fund(milestone: Milestone, card: str, barrier: threading.Barrier) -> None:
        try:
            barrier.wait()
            try:
                milestone_fund(
                    client=milestone.contract.client, milestone=milestone, payment_method=card
                )
                result = "funded"
            except InvalidTransition:
                result = "refused"
            with lock:
                outcomes.append(result)
        finally:
            connections.close_all()

    for trial in range(TRIALS):
        contract = contract_fixed((AMOUNT,))
        milestone = contract.milestones.get()
        barrier = threading.Barrier(tabs)
        outcomes.clear()
        threads = [
            threading.Thread(target=fund, args=(milestone, cards[n % 2], barrier))
            for n in range(tabs)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert "funded" in outcomes, (trial, outcomes)
        charges = SandboxOperation.objects.filter(
            kind=SandboxOperation.Kind.CHARGE,
            idempotency_key__startswith=f"milestone:{milestone.pk}:fund",
        )
        assert charges.count() == 1, (trial, outcomes)
        milestone.refresh_from_db()
        assert milestone.state == MilestoneState.FUNDED
        assert milestone.funded_cents == AMOUNT
    assert ledger_violations() == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_releases_to_one_relationship_across_a_tier_pay_the_fee_of_one_run():
    """Two contracts between the same freelancer and client release $300 each at the same
    moment: together they cross the $500 tier boundary, and the relationship's row lock
    makes the second price off the first, so the fees always sum to the fee on $600 from
    zero ($100 + $10), whichever wins."""
    trials = TRIALS
    part = 30_000
    errors: list[BaseException] = []
    lock = threading.Lock()

    def approve(milestone: Milestone, barrier: threading.Barrier) -> None:
        try:
            barrier.wait()
            milestone_approve(client=milestone.contract.client, milestone=milestone)
        except BaseException as error:
            with lock:
                errors.append(error)
        finally:
            connections.close_all()

    for trial in range(trials):
        first = contract_fixed((part,))
        second = contract_fixed((part,), client=first.client, freelancer=first.freelancer)
        pair = [submitted_milestones(first, 1, part)[0], submitted_milestones(second, 1, part)[0]]
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=approve, args=(m, barrier)) for m in pair]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == [], (trial, errors)
        relationship = Relationship.objects.get(freelancer=first.freelancer, client=first.client)
        assert (relationship.gross_cents, relationship.fee_cents) == (2 * part, 11_000), trial
        fees = sorted(
            Payment.objects.filter(relationship=relationship).values_list("fee_cents", flat=True)
        )
        # The first priced at 20% ($60), the second $200 at 20% and $100 at 10% ($50).
        assert fees == [5_000, 6_000], (trial, fees)
    assert ledger_violations() == []
    assert payment_violations() == []


def _from_balance_once_booked(*, by_card: Milestone, milestone: Milestone) -> Milestone:
    """Pay `milestone` from the balance the moment `by_card`'s card charge is booked."""
    deadline = time.monotonic() + 10
    booked = CardCharge.objects.filter(
        subject=f"milestone:{by_card.pk}:fund", state=CardChargeState.BOOKED
    )
    while not booked.exists() and time.monotonic() < deadline:
        time.sleep(0.0005)
    return milestone_fund(
        client=milestone.contract.client, milestone=milestone, payment_method="balance"
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_card_payment_for_one_milestone_is_never_spent_on_another_from_the_balance(
    race: Racers,
):
    """The client pays one milestone by card while paying another from an empty balance. The
    second waits until the card's charge is booked and pays at once: the card's money must
    already be in escrow by then, so the card funding always succeeds, the balance payment is
    refused, and the balance ends empty."""
    for trial in range(20):
        by_card = contract_fixed((AMOUNT,)).milestones.get()
        client = by_card.contract.client
        other = contract_fixed((AMOUNT,), client=client).milestones.get()
        card, balance = race(
            partial(
                milestone_fund, client=client, milestone=by_card, payment_method="pm_card_visa"
            ),
            partial(_from_balance_once_booked, by_card=by_card, milestone=other),
        )
        assert isinstance(card, Milestone), (trial, card)
        assert card.state == MilestoneState.FUNDED
        assert isinstance(balance, InsufficientFunds), (trial, balance)
        assert account_for(kind=AccountKind.CLIENT_FUNDING, owner=client).balance_cents == 0
    assert ledger_violations() == []
    assert payment_violations() == []


def _from_balance_while_the_card_is_booked(
    *, by_card: Milestone, milestone: Milestone, delay: float
) -> Milestone:
    """Pay `milestone` from the balance `delay` seconds after `by_card`'s card charge is
    recorded, which is about when its booking runs."""
    deadline = time.monotonic() + 10
    recorded = CardCharge.objects.filter(subject=f"milestone:{by_card.pk}:fund")
    while not recorded.exists() and time.monotonic() < deadline:
        time.sleep(0.0002)
    time.sleep(delay)
    return milestone_fund(
        client=milestone.contract.client, milestone=milestone, payment_method="balance"
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_card_funding_and_a_balance_funding_of_one_client_never_deadlock(race: Racers):
    """The card funding's booking posts two transfers (the deposit, then the funding) over
    the client's balance, the gateway's clearing, escrow and the fee revenue; a balance
    funding of another milestone of the same client takes the fee revenue and the balance
    too. Started over the booking's moment, trial after trial, both always succeed: the
    booking locks all its accounts at once, in the ledger's order, never one transfer's
    after the other's."""
    for trial in range(60):
        by_card = contract_fixed((AMOUNT,)).milestones.get()
        client = by_card.contract.client
        other = contract_fixed((AMOUNT,), client=client).milestones.get()
        transfer_post(
            key=f"race:{other.pk}:balance",
            kind="race_setup",
            description="The other milestone's funding, on the balance",
            legs=[
                (account_for(kind=AccountKind.GATEWAY_CLEARING), -2 * AMOUNT),
                (account_for(kind=AccountKind.CLIENT_FUNDING, owner=client), 2 * AMOUNT),
            ],
        )
        card, balance = race(
            partial(
                milestone_fund, client=client, milestone=by_card, payment_method="pm_card_visa"
            ),
            partial(
                _from_balance_while_the_card_is_booked,
                by_card=by_card,
                milestone=other,
                delay=trial % 30 * 0.0003,
            ),
        )
        assert isinstance(card, Milestone), (trial, card)
        assert isinstance(balance, Milestone), (trial, balance)
        assert card.state == balance.state == MilestoneState.FUNDED
    assert ledger_violations() == []
    assert payment_violations() == []
