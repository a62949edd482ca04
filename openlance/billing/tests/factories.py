"""Payments for work made the way the services make them, for tests that need billings."""

from __future__ import annotations

from django.db import transaction

from openlance.accounts.models import User
from openlance.billing.models import Payment, PaymentKind, SavedCard
from openlance.billing.payments import payment_for_work
from openlance.core import clock
from openlance.core.money import Money
from openlance.core.policies import FlatSchedule, FreelancerFeeSchedule
from openlance.ledger.tests.factories import funded_escrow

NO_FEE = FlatSchedule(rate_bp=0)


def paid_for_work(
    freelancer: User,
    client: User,
    cents: int,
    *,
    n: int = 1,
    kind: PaymentKind | str = PaymentKind.MILESTONE_RELEASE,
    schedule: FreelancerFeeSchedule = NO_FEE,
    key: str | None = None,
) -> Payment:
    """`client` pays `freelancer` `cents` for work out of escrow number `n` (funded from
    outside for the purpose): a payment with its relationship and pending earning."""
    escrow = funded_escrow(cents, n=n)
    with transaction.atomic():
        return payment_for_work(
            kind=kind,
            key=key or f"test:pay:{kind}:{n}:{cents}",
            freelancer=freelancer,
            client=client,
            gross=Money(cents),
            source=escrow,
            schedule=schedule,
            description="A payment for work",
        )


def saved_card(user: User, payment_method: str, **details: object) -> SavedCard:
    """A card kept for `user` as a gateway would keep it (no gateway call): a Visa ending
    4242 until 12/2035 unless `details` say otherwise."""
    fields: dict[str, object] = {
        "brand": "Visa",
        "last4": "4242",
        "exp_month": 12,
        "exp_year": 2035,
        "created_at": clock.now(),
        **details,
    }
    return SavedCard.objects.create(user=user, payment_method=payment_method, **fields)
