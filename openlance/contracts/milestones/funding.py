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
from django.db.models import Count, Sum

from openlance.accounts.models import User
from openlance.billing.cards import BALANCE
from openlance.billing.claims import charge_claim
from openlance.billing.fees import client_fees
from openlance.billing.gateway import payment_gateway
from openlance.billing.models import CardCharge, CardChargePurpose, CardChargeState
from openlance.billing.selectors import MILESTONE_FUND
from openlance.billing.services import (
    card_charge,
    card_charges_settle,
    card_declined,
    spend_on_booking,
)
from openlance.contracts.common import (
    escrow_account,
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
from openlance.core.money import Money
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
    accounts = [
        escrow_account(contract),
        platform_account(AccountKind.PLATFORM_FEE_REVENUE, spread=client.pk),
    ]
    return accounts, partial(_fund_locked, client=client, contract=contract, locked=locked)


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
    the milestone with it in the same transaction (`spend_on_booking`), unless the balance
    already holds a card payment made for this funding. Called under the funding's charge
    claim.

    The funding's earlier card charges (`CardCharge` subject: the funding's key) whose
    requests died are settled first, with their own key, card and amount: the gateway
    answers with a charge it made (which is then booked and funds the milestone), or makes
    the one the client asked for. When the charges booked for this funding cover it and are
    still in the balance, nothing new is charged, whatever card this request brought.
    Otherwise the card is charged under the key of the funding, the card's digest, the total
    and the number of earlier attempts (declined, or booked and spent since), so a retry
    after a decline, or after the client's other payments spent a booked charge, is a new
    attempt."""
    subject = _fund_key(milestone)
    gateway = payment_gateway()
    funded_on_booking = partial(
        spend_on_booking,
        partial(_locked_for_card, client=client, milestone=milestone),
        what=f"Milestone {milestone.pk}",
    )
    charges = _card_charges_by_state(subject)
    if CardChargeState.SENT in charges:
        card_charges_settle(subject=subject, gateway=gateway, around_booking=funded_on_booking)
        charges = _card_charges_by_state(subject)
    quote = milestone_funding_quote(milestone=milestone)
    booked_count, booked = charges.get(CardChargeState.BOOKED, (0, 0))
    if booked >= quote.total_cents:
        balance = account_for(kind=AccountKind.CLIENT_FUNDING, owner=client).balance_cents
        if balance >= quote.total_cents:
            return
        # A request paying with the same card may have booked and funded it just now (and
        # the client may even have released it since: it is funded once it was topped up).
        fresh = Milestone.objects.get(pk=milestone.pk)
        if is_funded(fresh) or fresh.funded_cents != milestone.funded_cents:
            return
    # Requests paying with the same card may hold the claim together (a retry takes over its
    # own claim at once), so they must arrive at the same key: it changes only with the
    # amount, after a decline, and after a charge booked for this funding whose money the
    # client's other payments have spent since (its request died before funding).
    declined_count, _ = charges.get(CardChargeState.DECLINED, (0, 0))
    attempt = declined_count + booked_count
    charge = card_charge(
        user=client,
        amount=Money(quote.total_cents),
        payment_method=payment_method,
        key=f"{subject}:card:{_card_digest(payment_method)}:{quote.total_cents}"
        + (f":{attempt}" if attempt else ""),
        subject=subject,
        purpose=CardChargePurpose.MILESTONE,
        description=f"Openlance milestone {milestone.pk} of contract {milestone.contract_id}",
        ledger_description=f"Card payment for milestone “{milestone.description}”",
        ledger_metadata={"milestone_id": milestone.pk},
        gateway=gateway,
        around_booking=funded_on_booking,
    )
    if charge.state == CardChargeState.DECLINED:
        raise card_declined(charge)


def _card_charges_by_state(subject: str) -> dict[str, tuple[int, int]]:
    """The card charges made for `subject`, in one query: state → (how many, cents)."""
    rows = (
        CardCharge.objects.filter(subject=subject)
        .values("state")
        .annotate(n=Count("id"), cents=Sum("amount_cents"))
        .order_by()
    )
    return {row["state"]: (row["n"], row["cents"]) for row in rows}
