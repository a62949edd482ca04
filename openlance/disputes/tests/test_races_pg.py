"""Disputes racing the other writers of the same escrow (SPEC §7.3, §9), 200 times each: a
dispute opened while auto-approval releases the milestone, two mediators recording one
arbitration, both sides accepting one split at the same moment. Whoever wins, the escrow
moves once. PostgreSQL only (SQLite has a single writer, so there is no race to prove)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from django.contrib.auth.models import Group
from django.db import connection

from openlance.accounts.models import AuditLogEntry, User
from openlance.accounts.tests.factories import freelancer_user
from openlance.billing.checks import payment_violations
from openlance.contracts.common import ESCROW_REFUND, escrow_account
from openlance.contracts.milestones.release import milestone_auto_approve_run_due
from openlance.contracts.models import (
    Contract,
    Milestone,
    MilestoneRelease,
    MilestoneState,
    Submission,
)
from openlance.contracts.tests.factories import contract_fixed
from openlance.core import clock
from openlance.core.errors import Conflict, InvalidTransition
from openlance.core.models import OutboxEvent
from openlance.core.tests.racers import Racers
from openlance.disputes.models import DecidedBy, Dispute, DisputeState, Side
from openlance.disputes.services import dispute_arbitrate, dispute_open, dispute_proposal_answer
from openlance.ledger.checks import ledger_violations
from openlance.ledger.models import AccountKind, Transfer
from openlance.ledger.services import account_for, transfer_post

TRIALS = 200
AMOUNT = 10_000
SHARE = 6_000  # a split: both a release and a refund must happen, each once
NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row-lock races need PostgreSQL (.ci/run runs it)"
)


def submitted_milestones(contract: Contract, count: int) -> list[Milestone]:
    """Funded, submitted milestones written straight onto one contract, their escrow paid in
    at once from outside. Milestone n falls due for auto-approval n minutes after NOW, so a
    run at its moment finds it alone (the ones before it are settled by then). Already
    warned: the reminder pass would otherwise lock the contract 199 times in trial 0."""
    rows = Milestone.objects.bulk_create(
        Milestone(
            contract=contract,
            position=100 + n,
            description=f"Race {n}",
            amount_cents=AMOUNT,
            state=MilestoneState.SUBMITTED,
            funded_cents=AMOUNT,
            funded_at=NOW,
            submitted_at=NOW,
            auto_approve_at=NOW + timedelta(minutes=n),
            auto_approve_warned_at=NOW,
        )
        for n in range(count)
    )
    Submission.objects.bulk_create(
        Submission(milestone=row, message="Done", was_funded=True, created_at=NOW) for row in rows
    )
    transfer_post(
        key=f"race:{contract.pk}:escrow",
        kind="race_setup",
        description="Escrow for the race",
        legs=[
            (account_for(kind=AccountKind.GATEWAY_CLEARING), -AMOUNT * count),
            (escrow_account(contract), AMOUNT * count),
        ],
    )
    return list(Milestone.objects.filter(pk__in=[row.pk for row in rows]).order_by("pk"))


def disputes_in(state: str, count: int, **fields: object) -> tuple[Contract, list[Dispute]]:
    """`count` disputes opened through the service (so each escrow is frozen as in life),
    then moved straight to `state`: the steps between are tested in test_disputes.py, and
    200 runs of them would only slow this down."""
    contract = contract_fixed((AMOUNT,))
    milestones = submitted_milestones(contract, count)
    opened = [
        dispute_open(user=contract.freelancer, milestone=milestone, reason="Not released.")
        for milestone in milestones
    ]
    Dispute.objects.filter(pk__in=[d.pk for d in opened]).update(
        state=state, response="Half of it is missing.", responded_at=NOW, **fields
    )
    return contract, list(Dispute.objects.filter(pk__in=[d.pk for d in opened]).order_by("pk"))


def mediator(email: str) -> User:
    user = freelancer_user(email=email, is_staff=True)
    user.groups.add(Group.objects.get_or_create(name="Mediator")[0])
    return user


def money_moves(milestone: Milestone) -> Counter[str]:
    return Counter(
        Transfer.objects.filter(metadata__milestone_id=milestone.pk).values_list("kind", flat=True)
    )


def assert_split_executed_once(dispute: Dispute, decided_by: str, trial: int) -> None:
    dispute.refresh_from_db()
    assert (dispute.state, dispute.decided_by, dispute.freelancer_cents) == (
        DisputeState.DECIDED,
        decided_by,
        SHARE,
    ), trial
    milestone = Milestone.objects.get(disputes=dispute)
    assert (milestone.state, milestone.released_cents, milestone.refunded_cents) == (
        MilestoneState.APPROVED,
        SHARE,
        AMOUNT - SHARE,
    ), trial
    assert money_moves(milestone) == {"milestone_release": 1, ESCROW_REFUND: 1}, trial
    assert MilestoneRelease.objects.filter(milestone=milestone).count() == 1, trial
    # Announced once too: a second decision would notify both sides and score it twice.
    decided = OutboxEvent.objects.filter(kind="dispute.decided", payload__dispute_id=dispute.pk)
    assert decided.count() == 1, trial


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_dispute_opened_while_auto_approval_runs_either_freezes_the_escrow_or_is_refused(
    race: Racers,
) -> None:
    with clock.frozen_at(NOW):
        contract = contract_fixed((AMOUNT,))
        milestones = submitted_milestones(contract, TRIALS)
        tally: Counter[str] = Counter()
        for trial, milestone in enumerate(milestones):
            # Either side may dispute submitted work: the client to have the escrow back,
            # the freelancer to be paid.
            opener = contract.client if trial % 2 else contract.freelancer
            assert milestone.auto_approve_at is not None
            run, opened = race(
                partial(milestone_auto_approve_run_due, now=milestone.auto_approve_at),
                partial(dispute_open, user=opener, milestone=milestone, reason="No."),
            )
            milestone.refresh_from_db()
            if isinstance(opened, Dispute):
                assert run == {"warned": 0, "approved": 0}, (trial, run)
                assert (milestone.state, milestone.in_escrow_cents, milestone.released_cents) == (
                    MilestoneState.DISPUTED,
                    AMOUNT,
                    0,
                ), trial
                assert opened.amount_cents == AMOUNT, trial
                assert money_moves(milestone) == {}, trial
                tally["disputed"] += 1
            else:
                assert isinstance(opened, Conflict), (trial, repr(opened))
                assert run == {"warned": 0, "approved": 1}, (trial, run)
                assert (milestone.state, milestone.released_cents) == (
                    MilestoneState.APPROVED,
                    AMOUNT,
                ), trial
                assert not Dispute.objects.filter(milestone=milestone).exists(), trial
                assert money_moves(milestone) == {"milestone_release": 1}, trial
                tally["released"] += 1

    assert tally["disputed"] + tally["released"] == TRIALS
    assert Dispute.objects.filter(contract=contract).count() == tally["disputed"]
    assert MilestoneRelease.objects.filter(contract=contract).count() == tally["released"]
    # What was not released is still frozen in escrow, whole.
    assert escrow_account(contract).balance_cents == tally["disputed"] * AMOUNT
    assert ledger_violations() == []
    assert payment_violations() == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_mediators_recording_one_arbitration_execute_it_once(race: Racers) -> None:
    with clock.frozen_at(NOW):
        contract, disputes = disputes_in(DisputeState.ARBITRATION, TRIALS, rejected_by=Side.CLIENT)
        first, second = mediator("first@example.com"), mediator("second@example.com")
        for trial, dispute in enumerate(disputes):
            outcomes = race(
                *(
                    partial(
                        dispute_arbitrate,
                        mediator=staff,
                        dispute=dispute,
                        freelancer_cents=SHARE,
                        note="Most was done.",
                    )
                    for staff in (first, second)
                )
            )
            decided = [o for o in outcomes if isinstance(o, Dispute)]
            refused = [o for o in outcomes if isinstance(o, InvalidTransition)]
            assert (len(decided), len(refused)) == (1, 1), (trial, [repr(o) for o in outcomes])
            assert_split_executed_once(dispute, DecidedBy.ARBITRATION, trial)
            assert (
                AuditLogEntry.objects.filter(
                    action="dispute.arbitrated", target_id=str(dispute.pk)
                ).count()
                == 1
            ), trial

    assert escrow_account(contract).balance_cents == 0
    assert ledger_violations() == []
    assert payment_violations() == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_both_sides_accepting_one_split_at_once_execute_it_once(race: Racers) -> None:
    with clock.frozen_at(NOW):
        contract, disputes = disputes_in(
            DisputeState.PROPOSED,
            TRIALS,
            mediator=mediator("mediator@example.com"),
            proposal_freelancer_cents=SHARE,
            proposal_note="Most was done.",
            proposed_at=NOW,
            proposal_revision=1,
        )
        for trial, dispute in enumerate(disputes):
            outcomes = race(
                *(
                    partial(
                        dispute_proposal_answer, user=user, dispute=dispute, accept=True, revision=1
                    )
                    for user in (contract.client, contract.freelancer)
                )
            )
            # Neither is refused: the first records its acceptance, the second (finding
            # both) executes the split.
            answered = [o for o in outcomes if isinstance(o, Dispute)]
            assert len(answered) == 2, (trial, [repr(o) for o in outcomes])
            states = sorted(o.state for o in answered)
            assert states == [DisputeState.DECIDED, DisputeState.PROPOSED], (trial, states)
            assert_split_executed_once(dispute, DecidedBy.AGREEMENT, trial)
            assert dispute.client_accepted_at is not None, trial
            assert dispute.freelancer_accepted_at is not None, trial

    assert escrow_account(contract).balance_cents == 0
    assert ledger_violations() == []
    assert payment_violations() == []
