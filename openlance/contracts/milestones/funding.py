"""Funding a milestone (SPEC §7.1, §8.2): what it costs the client now
(`milestone_funding_quote`), and `milestone_fund` from the client's balance or by card.

Money: client funding -total → contract escrow +amount, platform fee revenue +client fees
(kind "milestone_fund", key "milestone:<id>:fund", suffixed by the cents already funded when
a milestone is topped up after a remainder was carried into it). A card is charged through
the gateway first and booked into the client's balance, and the funding moves it on in the
booking's own transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from django.db import transaction

from openlance.accounts.models import User
from openlance.billing.cards import BALANCE
from openlance.billing.claims import charge_claim
from openlance.billing.fees import client_fees
from openlance.billing.gateway import payment_gateway
from openlance.billing.models import CardChargePurpose, CardChargeState
from openlance.billing.selectors import MILESTONE_FUND
from openlance.billing.services import (
    card_declined,
    card_pay_once,
    spend_on_booking,
)
from openlance.contracts.common import (
    escrow_account,
    escrow_funding_accounts,
    lock_contract,
    lock_milestone,
    require_party,
    require_running_fixed,
)
from openlance.contracts.milestones.states import is_funded, move_locked, review_clock_from
from openlance.contracts.models import Contract, Milestone, MilestoneState
from openlance.contracts.pricing import ContractPricing, contract_pricing
from openlance.core import clock
from openlance.core.errors import InvalidInput, InvalidTransition
from openlance.core.services import event_emit
from openlance.ledger.models import AccountKind, LedgerAccount
from openlance.ledger.services import account_for, platform_account, transfer_post

# Money may go in while nothing is released yet: submitted work is funded afterwards too.
FUNDABLE_STATES = frozenset(
    {MilestoneState.NOT_FUNDED, MilestoneState.SUBMITTED, MilestoneState.CHANGES_REQUESTED}
)


@dataclass(frozen=True)
class FundingQuote:
    """What funding a milestone costs the client now."""

    amount_cents: int
    marketplace_fee_cents: int
    initiation_fee_cents: int

    @property
    def total_cents(self) -> int:
        return self.amount_cents + self.marketplace_fee_cents + self.initiation_fee_cents


def milestone_funding_quote(
    *, milestone: Milestone, pricing: ContractPricing | None = None
) -> FundingQuote:
    """`pricing` is `contract_pricing(milestone.contract)`, passed in when quoting several
    milestones of one contract."""
    pricing = pricing or contract_pricing(milestone.contract)
    fees = client_fees(
        pricing.policy,
        amount_cents=max(0, milestone.amount_cents - milestone.in_escrow_cents),
        first_payment_of_contract=pricing.first_funding,
    )
    return FundingQuote(
        amount_cents=fees.amount_cents,
        marketplace_fee_cents=fees.marketplace_fee_cents,
        initiation_fee_cents=fees.initiation_fee_cents,
    )


def _fund_key(milestone: Milestone) -> str:
    base = f"milestone:{milestone.pk}:fund"
    return base if milestone.funded_cents == 0 else f"{base}:{milestone.funded_cents}"


def _check_fundable(milestone: Milestone) -> None:
    if milestone.state not in FUNDABLE_STATES:
        raise InvalidTransition(
            f"A milestone that is {milestone.get_state_display().lower()} cannot be funded."
        )


def milestone_fund(*, client: User, milestone: Milestone, payment_method: str) -> Milestone:
    """The client puts the milestone's amount into the contract's escrow, paying the
    marketplace fee (and the initiation fee with the contract's first funding) on top.

    `payment_method` is "balance" (the client's funding balance) or a card token, charged
    through the gateway first and booked into the client's balance before the funding moves
    it on. A declined card books nothing. Funding an already funded milestone is a no-op,
    so a retry never pays twice. A card payment first claims the milestone's funding: a
    second card payment at the same time (another tab, another key or card) is refused
    before its card is charged. Once it holds the claim, a card charge for this funding
    whose request died is settled and used before any new card is charged (see
    `_charge_card`). The card's money is booked into the balance and moved into escrow in
    one transaction, so no other payment of the client's can spend it in between. Should the
    milestone take no funding by the time the charge is booked (funded from the balance
    meanwhile, or its contract ended), the charge stays in the client's balance for later
    use.
    """
    contract = milestone.contract
    require_party(contract, client, "client")
    require_running_fixed(contract)
    payment_method = (payment_method or "").strip()
    if not payment_method:
        raise InvalidInput("Choose how to pay.", field_errors={"payment_method": ["Required."]})
    if is_funded(milestone):
        return milestone
    _check_fundable(milestone)
    if payment_method == BALANCE:
        return _fund_from_balance(client=client, milestone=milestone)
    with charge_claim(
        subject=f"milestone:{milestone.pk}:fund",
        holder=_card_digest(payment_method),
        busy="A payment for this milestone is under way already; look again in a moment.",
    ):
        # The request that held the claim before this one may have funded it meanwhile.
        milestone = Milestone.objects.select_related("contract").get(pk=milestone.pk)
        if is_funded(milestone):
            return milestone
        _check_fundable(milestone)
        _charge_card(client=client, milestone=milestone, payment_method=payment_method)
        return _fund_from_balance(client=client, milestone=milestone)


def _fund_from_balance(*, client: User, milestone: Milestone) -> Milestone:
    with transaction.atomic():
        contract = lock_contract(milestone.contract)
        return _fund_locked(client=client, contract=contract, locked=lock_milestone(milestone))


def _locked_for_card(
    *, client: User, milestone: Milestone
) -> tuple[list[LedgerAccount], Callable[[], Milestone]]:
    """For `spend_on_booking`: the contract, then the milestone, locked (every funding's
    order); the accounts the funding pays into; the funding."""
    contract = lock_contract(milestone.contract)
    locked = lock_milestone(milestone)
    return escrow_funding_accounts(contract), partial(
        _fund_locked, client=client, contract=contract, locked=locked
    )


def _fund_locked(*, client: User, contract: Contract, locked: Milestone) -> Milestone:
    """Fund the locked milestone of the locked contract from the client's balance."""
    require_running_fixed(contract)
    if is_funded(locked):
        return locked
    _check_fundable(locked)
    quote = milestone_funding_quote(milestone=locked)
    legs = [
        (account_for(kind=AccountKind.CLIENT_FUNDING, owner=client), -quote.total_cents),
        (escrow_account(contract), quote.amount_cents),
    ]
    client_fee = quote.marketplace_fee_cents + quote.initiation_fee_cents
    if client_fee:
        legs.append(
            (platform_account(AccountKind.PLATFORM_FEE_REVENUE, spread=client.pk), client_fee)
        )
    funding = transfer_post(
        key=_fund_key(locked),
        kind=MILESTONE_FUND,
        description=f"Funded milestone “{locked.description}” of contract {contract.pk}",
        legs=legs,
        metadata={
            "contract_id": contract.pk,
            "milestone_id": locked.pk,
            "client_id": contract.client_id,
            "freelancer_id": contract.freelancer_id,
            "amount_cents": quote.amount_cents,
            "marketplace_fee_cents": quote.marketplace_fee_cents,
            "initiation_fee_cents": quote.initiation_fee_cents,
        },
        client=contract.client,
        freelancer=contract.freelancer,
    )
    if contract.first_funding_id is None:
        contract.first_funding = funding
        contract.initiation_fee_cents = quote.initiation_fee_cents
        contract.save(update_fields=["first_funding", "initiation_fee_cents"])
    # Work already submitted on an unfunded milestone stays under review once funded.
    target = MilestoneState.FUNDED if locked.state == MilestoneState.NOT_FUNDED else locked.state
    now = clock.now()
    move_locked(
        locked,
        target,
        emit=False,
        funded_cents=locked.funded_cents + quote.amount_cents,
        funded_at=now,
        **review_clock_from(locked, now),
    )
    event_emit(
        kind="milestone.funded",
        payload={
            "milestone_id": locked.pk,
            "contract_id": contract.pk,
            "amount_cents": quote.amount_cents,
        },
    )
    return locked


def _card_digest(payment_method: str) -> str:
    return hashlib.sha256(payment_method.encode()).hexdigest()[:16]


def _charge_card(*, client: User, milestone: Milestone, payment_method: str) -> None:
    """Charge the card for the funding's total, book it into the client's balance and fund
    the milestone with it in the same transaction (`card_pay_once`), under the funding's
    charge claim. The funding's earlier charges whose requests died are settled and used
    first; charges booked for it still on the balance are used instead of a new one. A
    retry after a decline, or after the client's other payments spent a booked charge, is
    a new attempt; requests paying with the same card at the same moment may hold the
    claim together (a retry takes over its own claim at once), and they arrive at the same
    key and one charge."""
    funding_before = milestone.funded_cents

    def funded_meanwhile() -> bool:
        # By this funding's own charge booked just now, or by another request (funded,
        # perhaps released since, or topped up after an amendment).
        fresh = Milestone.objects.get(pk=milestone.pk)
        return is_funded(fresh) or fresh.funded_cents != funding_before

    charge = card_pay_once(
        user=client,
        subject=_fund_key(milestone),
        card=payment_method,
        total=milestone_funding_quote(milestone=milestone).total_cents,
        purpose=CardChargePurpose.MILESTONE,
        around_booking=partial(
            spend_on_booking,
            partial(_locked_for_card, client=client, milestone=milestone),
            what=f"Milestone {milestone.pk}",
        ),
        paid=funded_meanwhile,
        retry_declined=True,
        description=f"Openlance milestone {milestone.pk} of contract {milestone.contract_id}",
        ledger_description=f"Card payment for milestone “{milestone.description}”",
        ledger_metadata={"milestone_id": milestone.pk},
        gateway=payment_gateway(),
    )
    if charge is not None and charge.state == CardChargeState.DECLINED:
        raise card_declined(charge)
