"""Paying a freelancer for work and refunding part of it: the fee from the relationship,
the relationship kept equal to the ledger, and the fee given back in proportion."""

from datetime import timedelta

import pytest
from django.db import transaction

from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.billing.models import Payment, PendingEarning, Relationship
from openlance.billing.payments import payment_refund
from openlance.billing.payouts import (
    available_held_since,
    earning_release,
    earnings_release_run_due,
)
from openlance.billing.tests.factories import paid_for_work
from openlance.core import clock
from openlance.core.errors import Conflict, IdempotencyConflict, InsufficientFunds, InvalidInput
from openlance.core.models import OutboxEvent
from openlance.core.money import Money
from openlance.core.policies import SlidingSchedule
from openlance.core.presets import SLIDING_20_10_5
from openlance.ledger.models import AccountKind, LedgerAccount, Transfer
from openlance.ledger.selectors import platform_balance
from openlance.ledger.services import transfer_reverse

pytestmark = pytest.mark.usefixtures("assert_ledger_sound")
SLIDING = SlidingSchedule.model_validate(SLIDING_20_10_5)


def _pair():
    return freelancer_user(), client_user()


def _balance(user, kind) -> int:
    account = LedgerAccount.objects.filter(owner=user, kind=kind).first()
    return account.balance_cents if account else 0


def _refund(payment, cents, key="refund"):
    with transaction.atomic():
        return payment_refund(payment=payment, amount=Money(cents), key=key, reason="Test")


def test_a_payment_prices_from_the_relationship_and_updates_it():
    freelancer, client = _pair()
    first = paid_for_work(freelancer, client, 30_000, schedule=SLIDING, n=1)
    second = paid_for_work(freelancer, client, 30_000, schedule=SLIDING, n=2)
    assert (first.billed_before_cents, first.fee_cents) == (0, 6_000)
    # $200 left in the 20% tier, then $100 at 10%.
    assert (second.billed_before_cents, second.fee_cents) == (30_000, 5_000)
    relationship = Relationship.objects.get(freelancer=freelancer, client=client)
    assert (relationship.gross_cents, relationship.fee_cents, relationship.net_cents) == (
        60_000,
        11_000,
        49_000,
    )
    assert relationship.payments == 2
    assert relationship.first_paid_at == first.created_at
    assert platform_balance(AccountKind.PLATFORM_FEE_REVENUE) == Money(11_000)
    assert _balance(freelancer, AccountKind.FREELANCER_PENDING) == 49_000
    assert PendingEarning.objects.filter(freelancer=freelancer).count() == 2
    assert OutboxEvent.objects.filter(kind="payment.made").count() == 2


def test_a_repeated_key_pays_once():
    freelancer, client = _pair()
    first = paid_for_work(freelancer, client, 30_000, schedule=SLIDING, key="once")
    again = paid_for_work(freelancer, client, 30_000, schedule=SLIDING, key="once", n=2)
    assert again.pk == first.pk
    assert Payment.objects.count() == 1
    assert Relationship.objects.get().gross_cents == 30_000


def test_refunds_in_parts_return_exactly_the_whole_fee():
    freelancer, client = _pair()
    payment = paid_for_work(freelancer, client, 10_001, schedule=SLIDING)  # fee 2_000.2 → 2_000
    assert payment.fee_cents == 2_000
    _refund(payment, 3_333, key="r1")
    _refund(payment, 3_333, key="r2")
    _refund(payment, 3_335, key="r3")
    payment.refresh_from_db()
    assert (payment.refunded_cents, payment.refunded_fee_cents) == (10_001, 2_000)
    relationship = Relationship.objects.get()
    assert (relationship.gross_cents, relationship.fee_cents, relationship.net_cents) == (0, 0, 0)
    assert platform_balance(AccountKind.PLATFORM_FEE_REVENUE) == Money(0)
    assert _balance(client, AccountKind.CLIENT_FUNDING) == 10_001
    assert _balance(freelancer, AccountKind.FREELANCER_PENDING) == 0


def test_a_refund_takes_available_money_first_then_the_payments_pending_earning():
    freelancer, client = _pair()
    older = paid_for_work(freelancer, client, 10_000, n=1)  # no fee: all net
    earning_release(earning=PendingEarning.objects.get(transfer=older.transfer))
    newer = paid_for_work(freelancer, client, 20_000, n=2)
    _refund(newer, 15_000)
    assert _balance(freelancer, AccountKind.FREELANCER_AVAILABLE) == 0
    assert _balance(freelancer, AccountKind.FREELANCER_PENDING) == 15_000
    assert PendingEarning.objects.get(transfer=newer.transfer).amount_cents == 15_000
    assert Relationship.objects.get().gross_cents == 15_000


def test_a_refund_the_freelancer_cannot_cover_or_beyond_the_payment_changes_nothing():
    freelancer, client = _pair()
    payment = paid_for_work(freelancer, client, 20_000, n=1)
    other = paid_for_work(freelancer, client_user(), 5_000, n=2)
    earning_release(earning=PendingEarning.objects.get(transfer=payment.transfer))
    # The money of `payment` is available now, but `other`'s pending earning is too small
    # to cover a refund of `other` once the available money is gone.
    _refund(payment, 20_000, key="all of it")
    before = Transfer.objects.count()
    with pytest.raises(InvalidInput):
        _refund(payment, 1, key="one more cent")
    with pytest.raises(InvalidInput):
        _refund(other, 5_001, key="more than paid")
    PendingEarning.objects.filter(transfer=other.transfer).update(amount_cents=1_000)
    with pytest.raises(InsufficientFunds):
        _refund(other, 5_000, key="not covered")
    PendingEarning.objects.filter(transfer=other.transfer).update(amount_cents=5_000)
    assert Transfer.objects.count() == before
    other.refresh_from_db()
    assert other.refunded_cents == 0


def test_a_payment_is_undone_by_a_refund_never_by_a_bare_reversal():
    freelancer, client = _pair()
    payment = paid_for_work(freelancer, client, 10_000)
    before = Transfer.objects.count()
    with pytest.raises(Conflict, match="payment_refund"):
        transfer_reverse(transfer=payment.transfer, reason="Test")
    assert Transfer.objects.count() == before


def test_a_key_used_for_one_payment_or_refund_is_refused_for_another():
    freelancer, client = _pair()
    payment = paid_for_work(freelancer, client, 10_000, key="pay")
    with pytest.raises(IdempotencyConflict):
        paid_for_work(freelancer, client, 12_000, key="pay", n=2)
    _refund(payment, 1_000, key="back")
    with pytest.raises(IdempotencyConflict):
        _refund(payment, 2_000, key="back")
    with pytest.raises(IdempotencyConflict):
        _refund(payment, 1_000, key="pay")
    payment.refresh_from_db()
    assert payment.refunded_cents == 1_000


def test_a_payment_refunded_whole_while_pending_is_skipped_when_earnings_release():
    freelancer, client = _pair()
    payment = paid_for_work(freelancer, client, 10_000)
    earning = PendingEarning.objects.get(transfer=payment.transfer)
    _refund(payment, 10_000)
    assert earning_release(earning=earning) is None
    assert earnings_release_run_due(now=clock.now() + timedelta(days=30)) == 0
    assert _balance(freelancer, AccountKind.FREELANCER_AVAILABLE) == 0


def test_money_refunded_from_available_counts_against_the_oldest_earnings():
    freelancer, client = _pair()
    start = clock.now()
    with clock.frozen_at(start - timedelta(days=200)):
        old = paid_for_work(freelancer, client, 5_000, n=1)
        earning_release(earning=PendingEarning.objects.get(transfer=old.transfer))
    with clock.frozen_at(start - timedelta(days=100)):
        recent = paid_for_work(freelancer, client, 5_000, n=2)
        earning_release(earning=PendingEarning.objects.get(transfer=recent.transfer))
    with clock.frozen_at(start):
        assert available_held_since(user=freelancer) == start - timedelta(days=200)
        _refund(old, 5_000)
        # What is left became available 100 days ago: not yet due to be paid out regardless.
        assert available_held_since(user=freelancer) == start - timedelta(days=100)
