"""A milestone's escrow in dispute (SPEC §9): frozen while the dispute runs — no release,
refund, auto-approval or cancellation touches it — and settled once, by its outcome: the
freelancer's share paid as a release (with the service fee), the rest refunded to the client.
The disputes feature (a layer above) decides; these are the only moves it makes here."""

from __future__ import annotations

from django.db import transaction

from openlance.contracts.common import (
    ESCROW_REFUND,
    escrow_account,
    lock_contract,
    lock_milestone,
    require_running_fixed,
)
from openlance.contracts.milestones.release import Remainder, release_escrow
from openlance.contracts.milestones.states import move_locked
from openlance.contracts.models import Contract, DisputeDecision, Milestone, MilestoneState
from openlance.core.errors import Conflict, InvalidInput
from openlance.ledger.models import AccountKind
from openlance.ledger.services import account_for, transfer_post

# Any open milestone holding escrow: an unfunded one may hold escrow carried from another.
DISPUTABLE_STATES = (
    MilestoneState.NOT_FUNDED,
    MilestoneState.FUNDED,
    MilestoneState.SUBMITTED,
    MilestoneState.CHANGES_REQUESTED,
)


def milestone_dispute_freeze(milestone: Milestone) -> Milestone:
    """Freeze the milestone's escrow for a dispute (inside the caller's transaction)."""
    require_running_fixed(milestone.contract)
    lock_contract(milestone.contract)
    locked = lock_milestone(milestone)
    if locked.state not in DISPUTABLE_STATES or locked.in_escrow_cents <= 0:
        raise Conflict(
            f"Only a milestone with money in escrow can be disputed; this one is "
            f"{locked.get_state_display().lower()} with {locked.in_escrow_cents} cents in escrow."
        )
    return move_locked(
        locked,
        MilestoneState.DISPUTED,
        state_before_dispute=locked.state,
        auto_approve_at=None,
        auto_approve_warned_at=None,
    )


def milestone_dispute_settle(milestone: Milestone, *, freelancer_cents: int) -> Milestone:
    """Settle a disputed milestone's escrow: `freelancer_cents` paid to the freelancer (with
    the service fee, like any release), the rest refunded to the client. Once: a settled
    milestone is no longer disputed."""
    with transaction.atomic():
        lock_contract(milestone.contract)
        locked = lock_milestone(milestone)
        if locked.state != MilestoneState.DISPUTED:
            raise Conflict("This milestone is not in dispute.")
        in_escrow = locked.in_escrow_cents
        if not 0 <= freelancer_cents <= in_escrow:
            raise InvalidInput(f"The freelancer's share is between $0.00 and {in_escrow} cents.")
        if freelancer_cents:
            release_escrow(
                locked, amount_cents=freelancer_cents, remainder=Remainder.REFUND, automatic=False
            )
            return locked
        contract = locked.contract
        transfer_post(
            key=f"milestone:{locked.pk}:dispute:refund",
            kind=ESCROW_REFUND,
            description=f"Escrow of disputed milestone “{locked.description}” refunded",
            legs=[
                (escrow_account(contract), -in_escrow),
                (account_for(kind=AccountKind.CLIENT_FUNDING, owner=contract.client), in_escrow),
            ],
            metadata={
                "contract_id": contract.pk,
                "milestone_id": locked.pk,
                "client_id": contract.client_id,
                "freelancer_id": contract.freelancer_id,
                "amount_cents": in_escrow,
            },
            client=contract.client,
            freelancer=contract.freelancer,
        )
        return move_locked(
            locked, MilestoneState.CANCELLED, refunded_cents=locked.refunded_cents + in_escrow
        )


# When a contract has had several disputes, the Job Success Score reads the one that weighs
# most against the freelancer: a later dispute won never hides an earlier one lost.
DECISION_WEIGHT = {
    DisputeDecision.NONE: 0,
    DisputeDecision.FOR_FREELANCER: 1,
    DisputeDecision.SPLIT: 2,
    DisputeDecision.AGAINST_FREELANCER: 3,
}


def contract_dispute_decided(contract: Contract, decision: str) -> Contract:
    """Record how a dispute on the contract was decided (read by the Job Success Score)."""
    decision = DisputeDecision(decision)
    with transaction.atomic():
        locked = lock_contract(contract)
        current = DisputeDecision(locked.dispute_decision)
        if DECISION_WEIGHT[decision] > DECISION_WEIGHT[current]:
            locked.dispute_decision = decision
            locked.save(update_fields=["dispute_decision"])
    return locked


def can_open_dispute(milestone: Milestone, *, as_client: bool) -> bool:
    """The client disputes escrow to get it back; the freelancer, submitted work the client
    does not release."""
    if milestone.in_escrow_cents <= 0:
        return False
    if as_client:
        return milestone.state in DISPUTABLE_STATES
    return milestone.state in (MilestoneState.SUBMITTED, MilestoneState.CHANGES_REQUESTED)
