from datetime import UTC, datetime, timedelta

import pytest

from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.billing.connects import (
    connects_bundle_buy,
    connects_plans_run_due,
    connects_plus_subscribe,
)
from openlance.billing.models import SandboxOperation
from openlance.connects.models import ConnectsAccount, ConnectsLot, ConnectsMove, LotSource, Plan
from openlance.connects.selectors import connects_balance
from openlance.connects.services import (
    connects_account_open,
    connects_grant,
    connects_plus_cancel,
    connects_spend,
)
from openlance.core.clock import frozen_at
from openlance.core.errors import (
    IdempotencyConflict,
    InvalidInput,
    InvalidTransition,
    PaymentDeclined,
)
from openlance.core.models import OutboxEvent, Policy, PolicyKind
from openlance.ledger.models import AccountKind, Transfer
from openlance.ledger.selectors import platform_balance

# Under the 2019 preset: $0.15 a Connect, Plus $14.99 for 70 a month capped at 140,
# Basic 0 a month, welcome grant 20.
NOW = datetime(2026, 3, 10, 9, tzinfo=UTC)
CLASSIC = datetime(2018, 3, 10, 9, tzinfo=UTC)

pytestmark = pytest.mark.usefixtures("assert_ledger_sound", "assert_connects_sound")


def _revenue() -> int:
    return platform_balance(AccountKind.PLATFORM_CONNECTS_REVENUE).cents


def _account(user) -> ConnectsAccount:
    return ConnectsAccount.objects.get(user=user)


# --- bundles -------------------------------------------------------------------------


def test_a_bundle_is_charged_booked_as_connects_revenue_and_granted_as_a_purchase_lot():
    user = freelancer_user()
    with frozen_at(NOW):
        move = connects_bundle_buy(user=user, bundle=40, payment_method="pm_card_visa", key="k")
        assert connects_balance(user=user) == 20 + 40
    assert move.kind == "purchase"
    assert move.units == 40
    assert move.entries.get().lot.source == LotSource.PURCHASE
    assert _revenue() == 600
    assert platform_balance(AccountKind.GATEWAY_CLEARING).cents == -600
    assert Transfer.objects.get().kind == "connects_purchase"


def test_a_repeated_purchase_key_charges_books_and_grants_once():
    user = freelancer_user()
    with frozen_at(NOW):
        first = connects_bundle_buy(user=user, bundle=10, payment_method="pm_card_visa", key="k")
        again = connects_bundle_buy(user=user, bundle=10, payment_method="pm_card_visa", key="k")
        with pytest.raises(IdempotencyConflict):
            connects_bundle_buy(user=user, bundle=20, payment_method="pm_card_visa", key="k")
        assert connects_balance(user=user) == 20 + 10
    assert first.pk == again.pk
    assert SandboxOperation.objects.count() == 1
    assert Transfer.objects.count() == 1
    assert _revenue() == 150


def test_a_declined_card_books_nothing_and_grants_nothing():
    user = freelancer_user()
    with frozen_at(NOW):
        connects_account_open(user=user)
        lots_before = ConnectsLot.objects.count()
        with pytest.raises(PaymentDeclined) as declined:
            connects_bundle_buy(user=user, bundle=10, payment_method="pm_card_declined", key="k")
        assert connects_balance(user=user) == 20
    assert "payment_method" in declined.value.field_errors
    assert not Transfer.objects.exists()
    assert ConnectsLot.objects.count() == lots_before
    assert not ConnectsMove.objects.filter(kind="purchase").exists()


@pytest.mark.parametrize("bundle", [0, 7, -10, 1000])
def test_a_bundle_the_policy_does_not_offer_is_refused_before_any_charge(bundle):
    user = freelancer_user()
    with frozen_at(NOW), pytest.raises(InvalidInput) as refused:
        connects_bundle_buy(user=user, bundle=bundle, payment_method="pm_card_visa", key="k")
    assert "bundle" in refused.value.field_errors
    assert not SandboxOperation.objects.exists()


def test_clients_do_not_buy_connects():
    with frozen_at(NOW), pytest.raises(InvalidInput):
        connects_bundle_buy(user=client_user(), bundle=10, payment_method="pm_card_visa", key="k")
    assert not SandboxOperation.objects.exists()


def test_bundle_price_follows_the_policy_in_force():
    user = freelancer_user()
    with frozen_at(CLASSIC):
        connects_bundle_buy(user=user, bundle=10, payment_method="pm_card_visa", key="k")
    assert _revenue() == 1_000


# --- Plus ---------------------------------------------------------------------------


def test_subscribing_charges_the_first_month_and_grants_the_plus_allotment_at_once():
    user = freelancer_user()
    with frozen_at(NOW):
        account = connects_plus_subscribe(user=user, payment_method="pm_card_visa", key="s")
        assert connects_balance(user=user) == 20 + 70
    assert account.plan == Plan.PLUS
    assert account.next_grant_at == datetime(2026, 4, 10, 9, tzinfo=UTC)
    assert _revenue() == 1_499
    assert Transfer.objects.get().kind == "connects_plus"


def test_the_first_plus_allotment_respects_the_rollover_cap():
    user = freelancer_user()
    with frozen_at(NOW):
        connects_grant(user=user, units=100, source="purchase", key="p", description="t")
        connects_plus_subscribe(user=user, payment_method="pm_card_visa", key="s")
        assert connects_balance(user=user) == 140


def test_subscribing_again_with_the_same_key_changes_nothing_and_another_key_is_refused():
    user = freelancer_user()
    with frozen_at(NOW):
        connects_plus_subscribe(user=user, payment_method="pm_card_visa", key="s")
        connects_plus_subscribe(user=user, payment_method="pm_card_visa", key="s")
        with pytest.raises(InvalidTransition):
            connects_plus_subscribe(user=user, payment_method="pm_card_visa", key="other")
        assert connects_balance(user=user) == 90
    assert SandboxOperation.objects.count() == 1
    assert _revenue() == 1_499


def test_a_declined_card_leaves_the_account_on_basic():
    user = freelancer_user()
    with frozen_at(NOW):
        before = connects_account_open(user=user)
        with pytest.raises(PaymentDeclined):
            connects_plus_subscribe(user=user, payment_method="pm_card_expired", key="s")
    after = _account(user)
    assert after.plan == Plan.BASIC
    assert after.plus_payment_method == ""
    assert after.next_grant_at == before.next_grant_at
    assert not Transfer.objects.exists()
    assert after.balance == 20


def test_cancel_keeps_plus_until_the_monthly_date_then_basic_without_a_charge():
    user = freelancer_user()
    with frozen_at(NOW):
        connects_plus_subscribe(user=user, payment_method="pm_card_visa", key="s")
    with frozen_at(NOW + timedelta(days=3)):
        account = connects_plus_cancel(user=user)
        with pytest.raises(InvalidTransition):
            connects_plus_cancel(user=user)
    assert account.plan == Plan.PLUS
    assert account.plus_cancelled_at is not None
    renewal = datetime(2026, 4, 10, 9, tzinfo=UTC)
    with frozen_at(renewal):
        assert connects_plans_run_due(now=renewal) == {
            "basic": 1,
            "plus": 0,
            "lapsed": 0,
            "retry": 0,
        }
    account = _account(user)
    assert account.plan == Plan.BASIC
    assert account.plus_payment_method == ""
    assert account.next_grant_at == datetime(2026, 5, 10, 9, tzinfo=UTC)
    assert SandboxOperation.objects.count() == 1
    assert _revenue() == 1_499


def test_subscribing_after_cancelling_takes_the_cancellation_back_without_a_charge():
    user = freelancer_user()
    with frozen_at(NOW):
        connects_plus_subscribe(user=user, payment_method="pm_card_visa", key="s")
        connects_plus_cancel(user=user)
        account = connects_plus_subscribe(
            user=user, payment_method="pm_card_mastercard", key="again"
        )
    assert account.plan == Plan.PLUS
    assert account.plus_cancelled_at is None
    assert account.plus_payment_method == "pm_card_mastercard"
    assert SandboxOperation.objects.count() == 1


def test_cancelling_basic_is_refused():
    user = freelancer_user()
    with frozen_at(NOW), pytest.raises(InvalidTransition):
        connects_plus_cancel(user=user)
    assert not ConnectsAccount.objects.filter(plus_cancelled_at__isnull=False).exists()


# --- the monthly rule ----------------------------------------------------------------


def test_plus_renewal_charges_grants_within_the_cap_and_is_safe_to_run_twice():
    user = freelancer_user()
    with frozen_at(NOW):
        connects_plus_subscribe(user=user, payment_method="pm_card_visa", key="s")
    renewal = datetime(2026, 4, 10, 9, tzinfo=UTC)
    with frozen_at(renewal):
        assert connects_plans_run_due(now=renewal)["plus"] == 1
        # 90 + 70 would pass the 140 cap.
        assert connects_balance(user=user) == 140
        assert connects_plans_run_due(now=renewal) == {
            "basic": 0,
            "plus": 0,
            "lapsed": 0,
            "retry": 0,
        }
        assert connects_balance(user=user) == 140
    assert _revenue() == 2 * 1_499
    assert _account(user).next_grant_at == datetime(2026, 5, 10, 9, tzinfo=UTC)


def test_a_declined_renewal_falls_back_to_basic_with_a_notice():
    user = freelancer_user()
    with frozen_at(NOW):
        connects_plus_subscribe(user=user, payment_method="pm_card_visa", key="s")
    ConnectsAccount.objects.filter(user=user).update(plus_payment_method="pm_card_declined")
    renewal = datetime(2026, 4, 10, 9, tzinfo=UTC)
    with frozen_at(renewal):
        assert connects_plans_run_due(now=renewal)["lapsed"] == 1
        assert connects_balance(user=user) == 90
    account = _account(user)
    assert account.plan == Plan.BASIC
    assert account.plus_payment_method == ""
    assert OutboxEvent.objects.filter(kind="connects.plus_lapsed").count() == 1
    assert _revenue() == 1_499


def test_basic_without_rollover_fills_only_up_to_the_monthly_grant():
    user = freelancer_user()
    with frozen_at(CLASSIC):
        # Classic: Basic grants 60 a month and nothing rolls over; the account's first
        # allotment is due at once.
        connects_account_open(user=user)
        assert connects_plans_run_due(now=CLASSIC)["basic"] == 1
        assert connects_balance(user=user) == 60
        connects_spend(user=user, units=10, key="p1", description="proposal")
    month_later = datetime(2018, 4, 10, 9, tzinfo=UTC)
    with frozen_at(month_later):
        connects_plans_run_due(now=month_later)
        assert connects_balance(user=user) == 60
        moves = list(ConnectsMove.objects.filter(kind="grant").values_list("units", flat=True))
    assert sorted(moves) == [10, 60]


def test_rollover_without_a_cap_adds_the_whole_allotment():
    base = Policy.objects.filter(kind=PolicyKind.CONNECTS).order_by("-effective_from").first()
    params = {
        **base.params,
        "basic_plan": {"price_cents": 0, "monthly_grant": 10, "rollover": True},
    }
    Policy.objects.create(
        kind=PolicyKind.CONNECTS,
        label="uncapped",
        effective_from=NOW - timedelta(days=1),
        params=params,
        created_at=NOW - timedelta(days=1),
    )
    user = freelancer_user()
    with frozen_at(NOW):
        connects_grant(user=user, units=500, source="purchase", key="p", description="t")
        connects_plans_run_due(now=NOW)
        assert connects_balance(user=user) == 500 + 10


def test_missed_months_are_caught_up_one_period_at_a_time():
    user = freelancer_user()
    with frozen_at(CLASSIC):
        connects_account_open(user=user)
    later = CLASSIC + timedelta(days=75)
    with frozen_at(later):
        assert connects_plans_run_due(now=later)["basic"] == 3
        assert connects_balance(user=user) == 60
    assert _account(user).next_grant_at == datetime(2018, 6, 10, 9, tzinfo=UTC)
