from datetime import UTC, datetime

import pytest

from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.billing.selectors import lifetime_billings
from openlance.core.clock import frozen_at
from openlance.core.money import Money
from openlance.ledger.models import AccountKind
from openlance.ledger.services import account_for, transfer_post, transfer_reverse
from openlance.ledger.tests.factories import funded_escrow

pytestmark = pytest.mark.usefixtures("assert_ledger_sound")
NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)


def _pay(freelancer, client, gross_cents, *, kind="milestone_release", n=1, key=None):
    escrow = funded_escrow(gross_cents, n=n)
    return transfer_post(
        key=key or f"test:pay:{kind}:{n}:{gross_cents}",
        kind=kind,
        description="A payment for work",
        legs=[
            (escrow, -gross_cents),
            (account_for(kind=AccountKind.FREELANCER_PENDING, owner=freelancer), gross_cents),
        ],
        metadata={
            "freelancer_id": freelancer.pk,
            "client_id": client.pk,
            "gross_cents": gross_cents,
        },
    )


def test_nothing_billed_is_zero():
    assert lifetime_billings(freelancer=freelancer_user(), client=client_user()) == Money(0)


def test_every_payment_kind_counts_across_contracts():
    freelancer, client = freelancer_user(), client_user()
    with frozen_at(NOW):
        _pay(freelancer, client, 40_000, n=1)
        _pay(freelancer, client, 12_345, kind="hourly_invoice", n=2)
        _pay(freelancer, client, 5_000, kind="bonus", n=3)
    assert lifetime_billings(freelancer=freelancer, client=client) == Money(57_345)


def test_other_clients_other_kinds_and_reversed_payments_do_not_count():
    freelancer, client = freelancer_user(), client_user()
    with frozen_at(NOW):
        _pay(freelancer, client, 30_000, n=1)
        _pay(freelancer, client_user(), 70_000, n=2)
        _pay(freelancer, client, 9_000, kind="expense", n=3)
        refunded = _pay(freelancer, client, 20_000, n=4)
        transfer_reverse(transfer=refunded, reason="Refunded to the client")
    assert lifetime_billings(freelancer=freelancer, client=client) == Money(30_000)
    assert lifetime_billings(freelancer=client, client=freelancer) == Money(0)
