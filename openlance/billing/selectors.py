"""Reads over billing's money: what a freelancer has billed a client."""

from __future__ import annotations

from openlance.accounts.models import User
from openlance.billing.models import PaymentKind, Relationship
from openlance.core.money import Money

PAYMENT_KINDS = frozenset(PaymentKind.values)
# A client's funding of a milestone into its contract's escrow; its transfer names both
# parties, which is how a wallet finds the escrow of a user's contracts.
MILESTONE_FUND = "milestone_fund"


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
