"""What prices a contract's payments (SPEC §8.2): the fee policy it is priced under, and
whether its next funding is the first (which carries the initiation fee), read once into a
`ContractPricing` for a page of milestones."""

from __future__ import annotations

from dataclasses import dataclass

from openlance.contracts.models import Contract
from openlance.core import clock
from openlance.core.policies import FeePolicy, PerContractSchedule, fee_policy_at, parse_params


def contract_fee_policy(contract: Contract) -> FeePolicy:
    """SPEC §8.2: the schedule in force when the contract started prices its payments,
    unless the policy in force now reprices running contracts. A per-contract rate is the
    one in force when the proposal (or, without one, the offer) was sent."""
    current = fee_policy_at(clock.now())
    if current.reprice_running_contracts:
        policy = current
    else:
        started = parse_params("fees", contract.fee_policy.params)
        assert isinstance(started, FeePolicy)
        policy = started
    if not isinstance(policy.freelancer_fee, PerContractSchedule):
        return policy
    offer = contract.offer
    sent_at = offer.proposal.created_at if offer.proposal is not None else offer.sent_at
    agreed = fee_policy_at(sent_at).freelancer_fee
    # A rate only exists if the schedule was per-contract then; otherwise today's applies.
    if isinstance(agreed, PerContractSchedule):
        return policy.model_copy(update={"freelancer_fee": agreed})
    return policy


def contract_awaits_first_funding(contract: Contract) -> bool:
    """Nothing was funded on the contract yet, so the next funding carries the initiation
    fee."""
    return contract.first_funding_id is None


@dataclass(frozen=True)
class ContractPricing:
    """What prices a contract's fundings: its fee policy and whether the next funding is its
    first (which carries the initiation fee). Read once for a page of milestones."""

    policy: FeePolicy
    first_funding: bool


def contract_pricing(contract: Contract) -> ContractPricing:
    return ContractPricing(
        policy=contract_fee_policy(contract),
        first_funding=contract_awaits_first_funding(contract),
    )
