"""What every write to a contract shares: its escrow account, the order writers lock
rows in, and the checks that the contract is running and that the right party asks.

Every change locks the contract row, then the milestone row (always in that order, so writers
never deadlock), so two approvals racing each other release once; the ledger's keys make
every retry a no-op.
"""

from __future__ import annotations

from django.db.models import QuerySet

from openlance.accounts.models import User
from openlance.contracts.models import Contract, ContractKind, ContractState, Milestone
from openlance.core.errors import Conflict, InvalidInput, NotFound
from openlance.ledger.models import AccountKind, LedgerAccount
from openlance.ledger.services import account_for, platform_account
from openlance.messaging.models import Message

ESCROW_REFUND = "escrow_refund"


def escrow_account(contract: Contract) -> LedgerAccount:
    return account_for(kind=AccountKind.CONTRACT_ESCROW, reference=contract.escrow_reference)


def escrow_funding_accounts(contract: Contract) -> list[LedgerAccount]:
    """The accounts a funding of the contract's (a milestone's, an expense's) pays into from
    the client's balance: the escrow, and the client's shard of the marketplace fee."""
    return [
        escrow_account(contract),
        platform_account(AccountKind.PLATFORM_FEE_REVENUE, spread=contract.client_id),
    ]


def lock_contract(contract: Contract) -> Contract:
    return Contract.objects.select_for_update().get(pk=contract.pk)


def locked_milestones() -> QuerySet[Milestone]:
    """Lock milestone rows only: the contract comes along for reading, and locking the
    shared fee policy row too would serialize every milestone write on the platform.
    Callers lock the contract first (`lock_contract`), so two writers never wait on each
    other in a cycle."""
    return Milestone.objects.select_for_update(of=("self",)).select_related(
        "contract", "contract__fee_policy"
    )


def lock_milestone(milestone: Milestone) -> Milestone:
    return locked_milestones().get(pk=milestone.pk)


def require_running(contract: Contract) -> None:
    if contract.state != ContractState.ACTIVE:
        raise Conflict(f"The contract is {contract.get_state_display().lower()}.")


def require_running_fixed(contract: Contract) -> None:
    if contract.kind != ContractKind.FIXED:
        raise Conflict("Milestones belong to fixed-price contracts.")
    require_running(contract)


def require_open_hourly(contract: Contract) -> None:
    """Hourly terms may change while the contract runs or is paused, not once it ended."""
    if contract.kind != ContractKind.HOURLY:
        raise Conflict("Rates and weekly limits belong to hourly contracts.")
    if contract.state == ContractState.ENDED:
        raise Conflict("The contract has ended.")


def contract_topic(contract: Contract) -> str:
    """The contract's conversation (messaging's topic)."""
    return f"contract:{contract.pk}"


def require_message_of(contract: Contract, message: Message | None) -> None:
    """A change proposed from a chat message must come from the contract's conversation."""
    if message is not None and message.conversation.topic != contract_topic(contract):
        raise InvalidInput(
            "That message is not in this contract's conversation.",
            field_errors={"source_message": ["Not a message of this contract."]},
        )


def require_party(contract: Contract, user: User, role: str) -> None:
    """Outsiders get a 404 (the contract and all in it are invisible to them); the wrong
    party a 409."""
    if user.pk not in (contract.client_id, contract.freelancer_id):
        raise NotFound("There is no such contract.")
    expected = contract.client_id if role == "client" else contract.freelancer_id
    if user.pk != expected:
        raise Conflict(f"Only the contract's {role} can do this.")
