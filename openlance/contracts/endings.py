"""Ending a contract (SPEC §7.3, §8.3). A fixed-price contract's escrow left over goes back
to the client's balance ("escrow_refund"), and the initiation fee too
("initiation_fee_refund") when nothing was ever released; escrow in dispute stays frozen
until the dispute is decided. An hourly contract's time not yet invoiced is invoiced at
once."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from openlance.accounts.models import User
from openlance.contracts.common import ESCROW_REFUND, escrow_account, lock_contract, require_running
from openlance.contracts.hourly.services import hourly_invoices_on_end, pauses_end
from openlance.contracts.milestones.states import OPEN_MILESTONE_STATES
from openlance.contracts.models import (
    CONTRACT_TRANSITIONS,
    OPEN_EXPENSE_STATES,
    Contract,
    ContractKind,
    ContractState,
    ExpenseState,
    MilestoneState,
)
from openlance.core import clock
from openlance.core.errors import Conflict, NotFound
from openlance.core.services import event_emit
from openlance.ledger.models import AccountKind, LedgerAccount
from openlance.ledger.services import account_for, accounts_lock, credited_account, transfer_post

INITIATION_FEE_REFUND = "initiation_fee_refund"


def contract_end(*, user: User, contract: Contract) -> Contract:
    """Either side ends a contract: a fixed-price one once every milestone is approved or
    cancelled, an hourly one at any time, active or paused. A fixed-price contract's escrow
    left over goes back to the client, and the initiation fee too when nothing was ever
    released (SPEC §8.3). An hourly contract holds no escrow: its time not yet invoiced is
    invoiced at once (the last, partial week), and its initiation fee, charged with its
    first invoice, stays with the work it paid for."""
    if user.pk not in (contract.client_id, contract.freelancer_id):
        raise NotFound("There is no such contract.")
    _require_endable(contract)
    with transaction.atomic():
        locked = lock_contract(contract)
        _require_endable(locked)
        _require_expenses_settled(locked)
        now = clock.now()
        if locked.kind == ContractKind.HOURLY:
            _end(locked, now)
            pauses_end(contract=locked, now=now)
            hourly_invoices_on_end(contract=locked, now=now)
        else:
            _settle_fixed(locked)
            _end(locked, now)
        event_emit(
            kind="contract.ended",
            payload={"contract_id": locked.pk, "ended_by": user.pk},
        )
    contract.state = locked.state
    contract.ended_at = locked.ended_at
    return contract


def _require_endable(contract: Contract) -> None:
    """A running contract ends; a paused one too (only hourly contracts pause)."""
    if ContractState.ENDED not in CONTRACT_TRANSITIONS[contract.state]:
        require_running(contract)


def _require_expenses_settled(contract: Contract) -> None:
    """An accepted expense is a term of the contract: it is funded and reimbursed (its money
    leaves escrow) before the contract ends."""
    waiting = contract.expenses.filter(state__in=OPEN_EXPENSE_STATES).count()
    if waiting:
        raise Conflict(
            f"{waiting} accepted expense(s) are not reimbursed yet: fund and release them first."
        )


def _end(contract: Contract, now: datetime) -> None:
    contract.state = ContractState.ENDED
    contract.ended_at = now
    contract.save(update_fields=["state", "ended_at"])


def _settle_fixed(locked: Contract) -> None:
    """Refund what is left in a fixed-price contract's escrow, and the initiation fee when
    nothing was released (the contract locked; its milestones must all be closed, or in
    dispute: their escrow stays frozen for the decision, and the initiation fee waits with
    it, since the decision may release)."""
    open_count = (
        locked.milestones.filter(state__in=OPEN_MILESTONE_STATES)
        .exclude(state=MilestoneState.DISPUTED)
        .count()
    )
    if open_count:
        raise Conflict(
            f"{open_count} milestone(s) are still open: approve or cancel them first, or end "
            "the contract with a dispute over the escrow."
        )
    disputed = list(locked.milestones.filter(state=MilestoneState.DISPUTED))
    disputed_expenses = locked.expenses.filter(state=ExpenseState.DISPUTED)
    frozen = sum(milestone.in_escrow_cents for milestone in disputed) + sum(
        disputed_expenses.values_list("amount_cents", flat=True)
    )
    client_funding = account_for(kind=AccountKind.CLIENT_FUNDING, owner=locked.client)
    escrow = escrow_account(locked)
    revenue = _initiation_refund_source(locked)
    # Two transfers touch the client's balance: lock every account first, in one order.
    accounts_lock([client_funding, escrow, *([revenue] if revenue else [])])
    escrow.refresh_from_db()
    left = escrow.balance_cents - frozen
    if left > 0:
        transfer_post(
            key=f"contract:{locked.pk}:end:refund",
            kind=ESCROW_REFUND,
            description=f"Escrow left on contract {locked.pk} refunded at its end",
            legs=[(escrow, -left), (client_funding, left)],
            client=locked.client,
            freelancer=locked.freelancer,
            metadata={
                "contract_id": locked.pk,
                "client_id": locked.client_id,
                "freelancer_id": locked.freelancer_id,
                "amount_cents": left,
            },
        )
    if revenue is not None:
        _initiation_refund(locked, revenue)


def _initiation_refund_source(contract: Contract) -> LedgerAccount | None:
    """The account the initiation fee went to, when it is owed back (SPEC §8.3: refunded if
    nothing is ever released): a fixed-price contract with the fee, no release, and no
    milestone still in dispute (its decision may release)."""
    if (
        contract.kind != ContractKind.FIXED
        or not contract.initiation_fee_cents
        or contract.milestone_releases.exists()
        or contract.milestones.filter(state=MilestoneState.DISPUTED).exists()
    ):
        return None
    assert contract.first_funding is not None  # recorded with the initiation fee
    return credited_account(contract.first_funding, AccountKind.PLATFORM_FEE_REVENUE)


def _initiation_refund(contract: Contract, revenue: LedgerAccount) -> None:
    initiation = contract.initiation_fee_cents
    transfer_post(
        key=f"contract:{contract.pk}:initiation_fee:refund",
        kind=INITIATION_FEE_REFUND,
        description=f"Initiation fee of contract {contract.pk} refunded (nothing released)",
        legs=[
            (revenue, -initiation),
            (account_for(kind=AccountKind.CLIENT_FUNDING, owner=contract.client), initiation),
        ],
        client=contract.client,
        freelancer=contract.freelancer,
        metadata={
            "contract_id": contract.pk,
            "client_id": contract.client_id,
            "amount_cents": initiation,
        },
    )


def initiation_fee_refund_after_disputes(*, contract: Contract) -> None:
    """A contract that ended with milestones in dispute gets its initiation fee back once
    the last of them is decided without anything released. Safe to repeat (its key)."""
    with transaction.atomic():
        locked = lock_contract(contract)
        if locked.state != ContractState.ENDED:
            return
        revenue = _initiation_refund_source(locked)
        if revenue is not None:
            _initiation_refund(locked, revenue)
