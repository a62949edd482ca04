"""Reads over billing's money: what a freelancer has billed a client."""

from __future__ import annotations

from django.db.models import Q

from openlance.accounts.models import User
from openlance.core.money import Money
from openlance.ledger.models import Transfer

# The transfer kinds that pay a freelancer for work (SPEC §8.2: "each payment to a
# freelancer"), and so count towards the relationship's lifetime billings. Expenses carry
# no fee and are deliberately absent.
MILESTONE_RELEASE = "milestone_release"
HOURLY_INVOICE = "hourly_invoice"
BONUS = "bonus"
PAYMENT_KINDS = frozenset({MILESTONE_RELEASE, HOURLY_INVOICE, BONUS})
# A client's funding of a milestone into its contract's escrow; its metadata names both
# parties, which is how a wallet finds the escrow of a user's contracts.
MILESTONE_FUND = "milestone_fund"


def lifetime_billings(*, freelancer: User, client: User) -> Money:
    """What `freelancer` has billed `client` so far, across all their contracts: the base of
    the sliding service fee (SPEC §8.2).

    The contract with the services that pay freelancers: a payment is a ledger transfer whose
    `kind` is one of PAYMENT_KINDS and whose metadata holds `freelancer_id`, `client_id` and
    `gross_cents` (the payment before the service fee, in integer cents). A payment that was
    reversed (a refund, a lost dispute) no longer counts: the reversal undoes the billing.
    """
    payments = Transfer.objects.filter(
        kind__in=PAYMENT_KINDS,
        metadata__freelancer_id=freelancer.pk,
        metadata__client_id=client.pk,
    ).filter(Q(reversal__isnull=True))
    total = sum(int(gross) for gross in payments.values_list("metadata__gross_cents", flat=True))
    return Money(total)
