"""Reads over billing's money: what a freelancer has billed a client."""

from __future__ import annotations

from openlance.accounts.models import User
from openlance.billing.fees import freelancer_fee
from openlance.billing.models import PaymentKind, Relationship
from openlance.core.money import Money
from openlance.core.policies import FreelancerFeeSchedule

PAYMENT_KINDS = frozenset(PaymentKind.values)
# A client's funding of a milestone into its contract's escrow; its transfer names both
# parties, which is how a wallet finds the escrow of a user's contracts.
MILESTONE_FUND = "milestone_fund"


def relationship_between(*, freelancer: User, client: User) -> Relationship | None:
    """The pair's relationship, None before their first payment."""
    return Relationship.objects.filter(freelancer=freelancer, client=client).first()


def next_fee_rate_bp(schedule: FreelancerFeeSchedule, *, billed_cents: int) -> int:
    """The service fee rate, in basis points, on the next cent billed after `billed_cents`."""
    fee = freelancer_fee(schedule, amount_cents=1, billed_before_cents=billed_cents)
    return fee.tiers[0].rate_bp


def lifetime_billings(*, freelancer: User, client: User) -> Money:
    """What `freelancer` has billed `client` so far, across all their contracts, less what
    was refunded: the base of the sliding service fee (SPEC §8.2), read from the pair's
    relationship row (one indexed row, whatever the size of the marketplace)."""
    gross = (
        Relationship.objects.filter(freelancer=freelancer, client=client)
        .values_list("gross_cents", flat=True)
        .first()
    )
    return Money(gross or 0)
