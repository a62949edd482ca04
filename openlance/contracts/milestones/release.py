"""Approving work and releasing its escrow (SPEC §7.1, §8.2, §17 auto-approval), and
cancelling a milestone.

Money: escrow -gross → freelancer pending +net, platform fee revenue +fee (kind
"milestone_release", key "milestone:<id>:release:<submission number>"), then a pending
earning that becomes available after the security period. What a partial release leaves is
carried into the next open milestone or refunded: escrow → client funding
("escrow_refund"), as is the escrow of a milestone the freelancer cancels.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F

from openlance.accounts.models import User
from openlance.billing.models import Payment, PaymentKind
from openlance.billing.payments import payment_for_work, relationship_locked
from openlance.contracts.common import (
    ESCROW_REFUND,
    escrow_account,
    lock_contract,
    lock_milestone,
    require_party,
    require_running_fixed,
)
from openlance.contracts.milestones.states import (
    OPEN_MILESTONE_STATES,
    is_funded,
    move_locked,
    review_clock_from,
)
from openlance.contracts.models import (
    MILESTONE_TRANSITIONS,
    Contract,
    ContractState,
    Milestone,
    MilestoneRelease,
    MilestoneState,
)
from openlance.contracts.pricing import contract_fee_policy
from openlance.core import clock
from openlance.core.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from openlance.core.money import Money
from openlance.core.services import event_emit
from openlance.ledger.models import AccountKind
from openlance.ledger.services import account_for, accounts_lock, platform_account, transfer_post

AUTO_APPROVE_WARNING = timedelta(days=2)


class Remainder:
    KEEP = "keep"
    REFUND = "refund"
    CHOICES = (KEEP, REFUND)


def _next_open_milestone(milestone: Milestone) -> Milestone | None:
    return (
        Milestone.objects.select_for_update()
        .filter(
            contract_id=milestone.contract_id,
            position__gt=milestone.position,
            state__in=OPEN_MILESTONE_STATES,
        )
        # A disputed milestone's escrow is frozen at what the dispute is about.
        .exclude(state=MilestoneState.DISPUTED)
        .order_by("position")
        .first()
    )


def release_escrow(
    locked: Milestone, *, amount_cents: int, remainder: str, automatic: bool
) -> Payment:
    """Pay `amount_cents` of the locked milestone's escrow to the freelancer and settle the
    rest. The caller holds the milestone's row lock and checked the state (an approval, or a
    dispute's outcome)."""
    contract = locked.contract
    freelancer = contract.freelancer
    client = contract.client
    number = locked.submissions.count()
    # The payment and the refund of what is left lock accounts each; take them all first,
    # after the relationship that the payment locks before its accounts.
    relationship_locked(freelancer=freelancer, client=client)
    accounts_lock(
        [
            escrow_account(contract),
            account_for(kind=AccountKind.FREELANCER_PENDING, owner=freelancer),
            platform_account(AccountKind.PLATFORM_FEE_REVENUE, spread=client.pk),
            account_for(kind=AccountKind.CLIENT_FUNDING, owner=client),
        ]
    )
    payment = payment_for_work(
        kind=PaymentKind.MILESTONE_RELEASE,
        key=f"milestone:{locked.pk}:release:{number}",
        freelancer=freelancer,
        client=client,
        gross=Money(amount_cents),
        source=escrow_account(contract),
        schedule=contract_fee_policy(contract).freelancer_fee,
        description=f"Released milestone “{locked.description}” of contract {contract.pk}",
        metadata={
            "contract_id": contract.pk,
            "milestone_id": locked.pk,
            "automatic": automatic,
        },
    )
    MilestoneRelease.objects.get_or_create(
        payment=payment,
        defaults={
            "milestone": locked,
            "contract": contract,
            "automatic": automatic,
            "created_at": payment.created_at,
        },
    )
    rest = locked.in_escrow_cents - amount_cents
    carried = refunded = 0
    if rest and remainder == Remainder.KEEP:
        following = _next_open_milestone(locked)
        if following is not None:
            carried = min(rest, max(0, following.amount_cents - following.in_escrow_cents))
        if following is not None and carried:
            following.funded_cents += carried
            following.carried_in_cents += carried
            if is_funded(following):
                following.funded_at = clock.now()
                for name, value in review_clock_from(following, following.funded_at).items():
                    setattr(following, name, value)
            if following.state == MilestoneState.NOT_FUNDED and is_funded(following):
                move_locked(following, MilestoneState.FUNDED, emit=False)
                event_emit(
                    kind="milestone.funded",
                    payload={
                        "milestone_id": following.pk,
                        "contract_id": contract.pk,
                        "amount_cents": following.funded_cents,
                        "carried_from": locked.pk,
                    },
                )
            else:
                following.save()
    refunded = rest - carried
    if refunded:
        transfer_post(
            key=f"milestone:{locked.pk}:refund:{number}",
            kind=ESCROW_REFUND,
            description=f"Unreleased escrow of milestone “{locked.description}” refunded",
            legs=[
                (escrow_account(contract), -refunded),
                (account_for(kind=AccountKind.CLIENT_FUNDING, owner=client), refunded),
            ],
            client=client,
            freelancer=freelancer,
            metadata={
                "contract_id": contract.pk,
                "milestone_id": locked.pk,
                "client_id": client.pk,
                "freelancer_id": freelancer.pk,
                "amount_cents": refunded,
            },
        )
    now = clock.now()
    move_locked(
        locked,
        MilestoneState.APPROVED,
        emit=False,
        released_cents=locked.released_cents + amount_cents,
        refunded_cents=locked.refunded_cents + refunded,
        funded_cents=locked.funded_cents - carried,
        carried_out_cents=locked.carried_out_cents + carried,
        approved_at=now,
        auto_approve_at=None,
    )
    event_emit(
        kind="milestone.approved",
        payload={
            "milestone_id": locked.pk,
            "contract_id": contract.pk,
            "gross_cents": amount_cents,
            "fee_cents": payment.fee_cents,
            "net_cents": payment.net_cents,
            "carried_cents": carried,
            "refunded_cents": refunded,
            "automatic": automatic,
        },
    )
    return payment


def milestone_approve(
    *,
    client: User,
    milestone: Milestone,
    amount: Money | None = None,
    remainder: str = Remainder.REFUND,
) -> Milestone:
    """The client accepts the work and releases its escrow: all of it, or `amount` of it
    with the rest kept for the next open milestone or refunded to the client's balance. A
    remainder larger than the next milestone still needs is refunded beyond that."""
    contract = milestone.contract
    require_party(contract, client, "client")
    require_running_fixed(contract)
    if remainder not in Remainder.CHOICES:
        raise InvalidInput(
            "Choose what happens to the rest: keep or refund.",
            field_errors={"remainder": ["Choose keep or refund."]},
        )
    if amount is not None and amount.currency != "USD":
        raise InvalidInput("Only USD is supported.", field_errors={"amount": ["Use USD."]})
    with transaction.atomic():
        require_running_fixed(lock_contract(contract))
        locked = lock_milestone(milestone)
        if locked.state != MilestoneState.SUBMITTED:
            raise InvalidTransition(
                f"Only submitted work is approved; this milestone is "
                f"{locked.get_state_display().lower()}."
            )
        in_escrow = locked.in_escrow_cents
        if in_escrow <= 0:
            raise Conflict("Fund the milestone before approving it: there is nothing to release.")
        release = in_escrow if amount is None else amount.cents
        if not 0 < release <= in_escrow:
            raise InvalidInput(
                f"Release between $0.01 and {Money(in_escrow)}.",
                field_errors={"amount": [f"At most {Money(in_escrow)} is in escrow."]},
            )
        keeping = remainder == Remainder.KEEP and release < in_escrow
        if keeping and _next_open_milestone(locked) is None:
            raise InvalidInput(
                "There is no later open milestone to keep the rest for; refund it instead.",
                field_errors={"remainder": ["No next milestone: choose refund."]},
            )
        release_escrow(locked, amount_cents=release, remainder=remainder, automatic=False)
    return locked


def milestone_auto_approve_run_due(*, now: datetime) -> dict[str, int]:
    """SPEC §17: submitted work the client left unanswered for 14 days is approved in full;
    2 days before, the client is reminded. Work not fully funded waits (releasing part of
    the amount would close the milestone short); the clock restarts when it is funded.
    Safe to run twice: each milestone is re-checked under its lock."""
    warned = approved = 0
    fully_funded = {
        "funded_cents__gte": F("amount_cents") + F("released_cents") + F("refunded_cents")
    }
    soon = (
        Milestone.objects.filter(
            state=MilestoneState.SUBMITTED,
            auto_approve_at__lte=now + AUTO_APPROVE_WARNING,
            auto_approve_at__gt=now,
            auto_approve_warned_at__isnull=True,
            **fully_funded,
        )
        .values_list("pk", "contract_id")
        .order_by("pk")
    )
    for pk, contract_id in list(soon):
        with transaction.atomic():
            lock_contract(Contract(pk=contract_id))
            locked = lock_milestone(Milestone(pk=pk))
            if (
                locked.auto_approve_warned_at is not None
                or locked.state != MilestoneState.SUBMITTED
                or not is_funded(locked)
            ):
                continue
            locked.auto_approve_warned_at = now
            locked.save(update_fields=["auto_approve_warned_at"])
            event_emit(
                kind="milestone.auto_approve_soon",
                payload={
                    "milestone_id": pk,
                    "contract_id": locked.contract_id,
                    "auto_approve_at": locked.auto_approve_at.isoformat()
                    if locked.auto_approve_at
                    else None,
                },
            )
            warned += 1
    due = (
        Milestone.objects.filter(
            state=MilestoneState.SUBMITTED,
            auto_approve_at__lte=now,
            contract__state=ContractState.ACTIVE,
            **fully_funded,
        )
        .values_list("pk", "contract_id")
        .order_by("pk")
    )
    for pk, contract_id in list(due):
        with transaction.atomic():
            contract = lock_contract(Contract(pk=contract_id))
            locked = lock_milestone(Milestone(pk=pk))
            if (
                contract.state != ContractState.ACTIVE
                or locked.state != MilestoneState.SUBMITTED
                or locked.auto_approve_at is None
                or locked.auto_approve_at > now
                or not is_funded(locked)
            ):
                continue
            release_escrow(
                locked,
                amount_cents=locked.in_escrow_cents,
                remainder=Remainder.REFUND,
                automatic=True,
            )
            approved += 1
    return {"warned": warned, "approved": approved}


def milestone_cancel(*, user: User, milestone: Milestone) -> Milestone:
    """Take a milestone off the contract. Either side may cancel one that is not funded;
    money in escrow goes back to the client only when the freelancer gives the milestone up
    (a client who wants funded money back without the freelancer's consent opens a dispute)."""
    contract = milestone.contract
    if user.pk not in (contract.client_id, contract.freelancer_id):
        raise NotFound("There is no such milestone.")
    require_running_fixed(contract)
    with transaction.atomic():
        lock_contract(contract)
        locked = lock_milestone(milestone)
        if locked.state == MilestoneState.DISPUTED:
            raise Conflict("This milestone is in dispute: its escrow moves only by the outcome.")
        if MilestoneState.CANCELLED not in MILESTONE_TRANSITIONS[locked.state]:
            raise InvalidTransition(
                f"A milestone that is {locked.get_state_display().lower()} cannot be cancelled."
            )
        in_escrow = locked.in_escrow_cents
        if in_escrow and user.pk != contract.freelancer_id:
            raise Conflict(
                "This milestone holds funds in escrow: ask the freelancer to cancel it, or "
                "approve the work."
            )
        if in_escrow:
            transfer_post(
                key=f"milestone:{locked.pk}:cancel:refund",
                kind=ESCROW_REFUND,
                description=f"Escrow of cancelled milestone “{locked.description}” refunded",
                legs=[
                    (escrow_account(contract), -in_escrow),
                    (
                        account_for(kind=AccountKind.CLIENT_FUNDING, owner=contract.client),
                        in_escrow,
                    ),
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
        move_locked(
            locked,
            MilestoneState.CANCELLED,
            refunded_cents=locked.refunded_cents + in_escrow,
            auto_approve_at=None,
        )
    return locked
