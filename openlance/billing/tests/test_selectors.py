from datetime import UTC, datetime

import pytest
from django.db import transaction

from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.billing.payments import payment_refund
from openlance.billing.selectors import lifetime_billings
from openlance.billing.tests.factories import paid_for_work
from openlance.core.clock import frozen_at
from openlance.core.money import Money
from openlance.ledger.models import AccountKind
from openlance.ledger.services import account_for, transfer_post
from openlance.ledger.tests.factories import funded_escrow

pytestmark = pytest.mark.usefixtures("assert_ledger_sound")
NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)


def test_nothing_billed_is_zero():
    assert lifetime_billings(freelancer=freelancer_user(), client=client_user()) == Money(0)


def test_every_payment_kind_counts_across_contracts():
    freelancer, client = freelancer_user(), client_user()
    with frozen_at(NOW):
        paid_for_work(freelancer, client, 40_000, n=1)
        paid_for_work(freelancer, client, 12_345, kind="hourly_invoice", n=2)
        paid_for_work(freelancer, client, 5_000, kind="bonus", n=3)
    assert lifetime_billings(freelancer=freelancer, client=client) == Money(57_345)


def test_other_clients_other_kinds_and_refunded_payments_do_not_count():
    freelancer, client = freelancer_user(), client_user()
    with frozen_at(NOW):
        paid_for_work(freelancer, client, 30_000, n=1)
        paid_for_work(freelancer, client_user(), 70_000, n=2)
        # An expense reimburses the freelancer without a fee: it is not a payment for work.
        transfer_post(
            key="test:expense",
            kind="expense",
            description="An expense",
            legs=[
                (funded_escrow(9_000, n=3), -9_000),
                (account_for(kind=AccountKind.FREELANCER_PENDING, owner=freelancer), 9_000),
            ],
            client=client,
            freelancer=freelancer,
        )
        refunded = paid_for_work(freelancer, client, 20_000, n=4)
        with transaction.atomic():
            payment_refund(
                payment=refunded, amount=Money(20_000), key="test:refund", reason="Refunded"
            )
    assert lifetime_billings(freelancer=freelancer, client=client) == Money(30_000)
    assert lifetime_billings(freelancer=client, client=freelancer) == Money(0)
