from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail

from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.billing.gateway import SANDBOX_RETURNING_DESTINATION, sandbox_payout_set_status
from openlance.billing.models import Payout, PayoutStatus, PendingEarning, WithdrawalMethod
from openlance.billing.payouts import (
    METHOD_FEES,
    available_held_since,
    earnings_release_run_due,
    is_schedule_day,
    next_schedule_day,
    payout_settings_of,
    payout_settings_update,
    payout_status_sync_due,
    payout_sync,
    scheduled_withdrawals_run_due,
    withdrawal_create,
    withdrawal_method_add,
    withdrawal_method_make_default,
    withdrawal_method_remove,
)
from openlance.billing.tests.payout_helpers import (
    available,
    balance,
    pending_earning,
    usable_method,
)
from openlance.core import clock
from openlance.core.errors import Conflict, InsufficientFunds, InvalidInput, NotFound
from openlance.core.money import Money
from openlance.core.services import outbox_drain
from openlance.ledger.models import AccountKind, Transfer

pytestmark = pytest.mark.usefixtures("assert_ledger_sound")

AVAILABLE = AccountKind.FREELANCER_AVAILABLE
PENDING = AccountKind.FREELANCER_PENDING
IN_FLIGHT = AccountKind.PAYOUTS_IN_FLIGHT
FEES = AccountKind.PLATFORM_FEE_REVENUE
# A Wednesday: 2026-06-24 is the last Wednesday of June (quarterly, monthly, weekly).
QUARTER_DAY = datetime(2026, 6, 24, 14, 0, tzinfo=UTC)


# Pending → available ----------------------------------------------------------------------


def test_release_moves_due_earnings_only_and_twice_is_once():
    user = freelancer_user()
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with clock.frozen_at(start):
        early = pending_earning(user, 10_000, 1)
    with clock.frozen_at(start + timedelta(days=2)):
        late = pending_earning(user, 5_000, 2)
    with clock.frozen_at(start + timedelta(days=5, minutes=1)):
        assert earnings_release_run_due(now=clock.now()) == 1
        assert earnings_release_run_due(now=clock.now()) == 0
    early.refresh_from_db()
    late.refresh_from_db()
    assert early.released_at is not None
    assert early.release_transfer.kind == "earning_available"
    assert late.released_at is None
    assert balance(user, AVAILABLE) == 10_000
    assert balance(user, PENDING) == 5_000
    assert Transfer.objects.filter(kind="earning_available").count() == 1


def test_release_before_the_security_period_moves_nothing():
    user = freelancer_user()
    pending_earning(user, 10_000)
    assert earnings_release_run_due(now=clock.now() + timedelta(days=4)) == 0
    assert balance(user, AVAILABLE) == 0
    assert not Transfer.objects.filter(kind="earning_available").exists()


# Methods --------------------------------------------------------------------------------


def test_new_method_waits_three_days_and_first_is_default():
    user = freelancer_user()
    now = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
    with clock.frozen_at(now):
        first = withdrawal_method_add(user=user, kind="ach", destination="ba_one", last4="1234")
        second = withdrawal_method_add(user=user, kind="paypal", destination="pp_two", last4="9876")
    assert first.is_default
    assert not second.is_default
    assert first.usable_from == now + timedelta(days=3)
    available(user, 50_000)
    with (
        clock.frozen_at(now + timedelta(days=2, hours=23)),
        pytest.raises(InvalidInput) as refused,
    ):
        withdrawal_create(user=user, amount=Money(10_000), key="k1")
    assert "method_id" in refused.value.field_errors
    assert not Payout.objects.exists()
    assert balance(user, AVAILABLE) == 50_000
    with clock.frozen_at(now + timedelta(days=3)):
        payout = withdrawal_create(user=user, amount=Money(10_000), key="k1")
    assert payout.status == PayoutStatus.IN_TRANSIT


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"kind": "cheque"}, "kind"),
        ({"destination": "1234 5678"}, "destination"),
        ({"destination": ""}, "destination"),
        ({"last4": "12a4"}, "last4"),
        ({"last4": "12345"}, "last4"),
    ],
)
def test_method_input_is_checked(fields, bad):
    user = freelancer_user()
    data = {"kind": "ach", "destination": "ba_ok", "last4": "1234", **fields}
    with pytest.raises(InvalidInput) as refused:
        withdrawal_method_add(user=user, **data)
    assert bad in refused.value.field_errors
    assert not WithdrawalMethod.objects.exists()


def test_client_only_users_cannot_add_methods_and_duplicates_are_refused():
    with pytest.raises(InvalidInput):
        withdrawal_method_add(user=client_user(), kind="ach", destination="ba_x", last4="1111")
    user = freelancer_user()
    withdrawal_method_add(user=user, kind="ach", destination="ba_x", last4="1111")
    with pytest.raises(InvalidInput):
        withdrawal_method_add(user=user, kind="wire", destination="ba_x", last4="1111")
    assert WithdrawalMethod.objects.count() == 1


def test_make_default_and_remove_hand_over_the_default():
    user = freelancer_user()
    first = withdrawal_method_add(user=user, kind="ach", destination="ba_1", last4="1111")
    second = withdrawal_method_add(user=user, kind="wire", destination="ba_2", last4="2222")
    withdrawal_method_make_default(user=user, method_id=second.pk)
    first.refresh_from_db()
    assert not first.is_default
    withdrawal_method_remove(user=user, method_id=second.pk)
    first.refresh_from_db()
    assert first.is_default
    with pytest.raises(NotFound):
        withdrawal_method_remove(user=user, method_id=second.pk)


def test_someone_elses_method_is_not_found():
    owner, other = freelancer_user(), freelancer_user()
    method = withdrawal_method_add(user=owner, kind="ach", destination="ba_1", last4="1111")
    for action in (withdrawal_method_remove, withdrawal_method_make_default):
        with pytest.raises(NotFound):
            action(user=other, method_id=method.pk)
    with pytest.raises(NotFound):
        withdrawal_create(user=other, amount=Money(500), key="x", method_id=method.pk)
    with pytest.raises(NotFound):
        withdrawal_method_remove(user=other, method_id=2**70)
    method.refresh_from_db()
    assert method.removed_at is None
    assert method.is_default


# Settings and schedules --------------------------------------------------------------------


def test_settings_default_to_quarterly_and_100_dollars():
    settings = payout_settings_of(user=freelancer_user())
    assert settings.schedule == "quarterly"
    assert settings.threshold_cents == 10_000


def test_threshold_below_100_dollars_is_refused():
    user = freelancer_user()
    with pytest.raises(InvalidInput) as refused:
        payout_settings_update(user=user, schedule="weekly", threshold=Money(9_999))
    assert "threshold" in refused.value.field_errors
    with pytest.raises(InvalidInput):
        payout_settings_update(user=user, schedule="daily", threshold=Money(10_000))
    assert payout_settings_of(user=user).pk is None
    saved = payout_settings_update(user=user, schedule="monthly", threshold=Money(25_000))
    assert (saved.schedule, saved.threshold_cents) == ("monthly", 25_000)


@pytest.mark.parametrize(
    ("schedule", "days", "not_days"),
    [
        ("weekly", ["2026-07-01", "2026-07-08", "2026-07-29"], ["2026-07-02", "2026-06-30"]),
        (
            "twice_monthly",
            ["2026-07-01", "2026-07-15", "2026-09-02", "2026-09-16"],
            ["2026-07-08", "2026-07-22", "2026-07-29", "2026-09-09"],
        ),
        (
            "monthly",
            ["2026-07-29", "2026-09-30", "2026-02-25", "2026-12-30"],
            ["2026-07-22", "2026-09-23", "2026-07-30"],
        ),
        (
            "quarterly",
            ["2026-03-25", "2026-06-24", "2026-09-30", "2026-12-30"],
            ["2026-07-29", "2026-06-17", "2026-01-28", "2026-12-31"],
        ),
    ],
)
def test_schedule_days(schedule, days, not_days):
    for day in days:
        assert is_schedule_day(schedule, date.fromisoformat(day)), day
    for day in not_days:
        assert not is_schedule_day(schedule, date.fromisoformat(day)), day


def test_next_schedule_day():
    assert next_schedule_day("quarterly", date(2026, 6, 24)) == date(2026, 9, 30)
    assert next_schedule_day("twice_monthly", date(2026, 7, 1)) == date(2026, 7, 15)


# Get paid now ------------------------------------------------------------------------------


def test_get_paid_now_books_then_pays_out_with_the_method_fee():
    user = freelancer_user()
    usable_method(user, kind="paypal", destination="pp_someone")
    available(user, 50_000)
    payout = withdrawal_create(user=user, amount=Money(30_000), key="now-1")
    assert (payout.amount_cents, payout.fee_cents, payout.net_cents) == (30_000, 200, 29_800)
    assert payout.status == PayoutStatus.IN_TRANSIT
    assert payout.gateway_reference
    assert balance(user, AVAILABLE) == 20_000
    assert balance(None, IN_FLIGHT) == 29_800
    assert balance(None, FEES) == 200
    outbox_drain(now=clock.now())
    assert "on its way" in mail.outbox[-1].subject


def test_replaying_get_paid_now_pays_once():
    user = freelancer_user()
    usable_method(user)
    available(user, 50_000)
    first = withdrawal_create(user=user, amount=Money(30_000), key="same")
    again = withdrawal_create(user=user, amount=Money(30_000), key="same")
    assert first.pk == again.pk
    assert Payout.objects.count() == 1
    assert Transfer.objects.filter(kind="withdrawal").count() == 1
    assert balance(user, AVAILABLE) == 20_000
    with pytest.raises(Conflict):
        withdrawal_create(user=user, amount=Money(10_000), key="same")
    assert balance(user, AVAILABLE) == 20_000


def test_cannot_withdraw_more_than_available():
    user = freelancer_user()
    usable_method(user)
    available(user, 10_000)
    with pytest.raises(InsufficientFunds) as refused:
        withdrawal_create(user=user, amount=Money(10_001), key="too-much")
    assert "amount" in refused.value.field_errors
    assert not Payout.objects.exists()
    assert not Transfer.objects.filter(kind="withdrawal").exists()
    assert balance(user, AVAILABLE) == 10_000


def test_fee_must_be_below_the_amount():
    user = freelancer_user()
    usable_method(user, kind="wire", destination="ba_wire")
    available(user, 50_000)
    with pytest.raises(InvalidInput) as refused:
        withdrawal_create(user=user, amount=Money(3_000), key="tiny")
    assert "amount" in refused.value.field_errors
    assert balance(user, AVAILABLE) == 50_000
    payout = withdrawal_create(user=user, amount=Money(3_001), key="just-enough")
    assert payout.net_cents == 1


@pytest.mark.parametrize("cents", [0, -100])
def test_non_positive_amounts_are_refused(cents):
    user = freelancer_user()
    usable_method(user)
    available(user, 10_000)
    with pytest.raises(InvalidInput):
        withdrawal_create(user=user, amount=Money(cents), key="zero")
    assert balance(user, AVAILABLE) == 10_000


def test_without_a_method_nothing_happens():
    user = freelancer_user()
    available(user, 10_000)
    with pytest.raises(InvalidInput):
        withdrawal_create(user=user, amount=Money(5_000), key="k")
    assert balance(user, AVAILABLE) == 10_000


def test_pending_money_cannot_be_withdrawn():
    user = freelancer_user()
    usable_method(user)
    pending_earning(user, 50_000)
    with pytest.raises(InsufficientFunds):
        withdrawal_create(user=user, amount=Money(100), key="k")
    assert balance(user, PENDING) == 50_000


# The gateway's later word ------------------------------------------------------------------


def test_paid_payout_settles_once():
    user = freelancer_user()
    usable_method(user, kind="local_bank", destination="ba_local")
    available(user, 50_000)
    payout = withdrawal_create(user=user, amount=Money(20_000), key="p")
    sandbox_payout_set_status(reference=payout.gateway_reference, returned=False)
    assert payout_status_sync_due(now=clock.now())["paid"] == 1
    assert payout_status_sync_due(now=clock.now())["checked"] == 0
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID
    assert payout.closing_transfer.kind == "payout_paid"
    assert balance(None, IN_FLIGHT) == 0
    assert balance(None, FEES) == 99
    assert balance(user, AVAILABLE) == 30_000


def test_returned_payout_goes_back_to_available_with_its_fee_and_a_notice():
    user = freelancer_user()
    usable_method(user, kind="paypal", destination="pp_someone")
    available(user, 50_000)
    payout = withdrawal_create(user=user, amount=Money(20_000), key="r")
    sandbox_payout_set_status(
        reference=payout.gateway_reference, returned=True, reason="account_closed"
    )
    payout = payout_sync(payout=payout)
    assert payout.status == PayoutStatus.RETURNED
    assert payout.failure_reason == "account_closed"
    assert payout.closing_transfer.kind == "payout_returned"
    assert balance(user, AVAILABLE) == 50_000
    assert balance(None, IN_FLIGHT) == 0
    assert balance(None, FEES) == 0
    # A second look at a returned payout changes nothing.
    payout_sync(payout=payout)
    assert Transfer.objects.filter(kind="payout_returned").count() == 1
    mail.outbox.clear()
    outbox_drain(now=clock.now())
    assert [m.subject for m in mail.outbox if "returned" in m.subject]
    assert "back in your available balance" in mail.outbox[-1].body


def test_a_destination_that_returns_at_once_is_reversed_at_once():
    user = freelancer_user()
    usable_method(user, destination=SANDBOX_RETURNING_DESTINATION)
    available(user, 50_000)
    payout = withdrawal_create(user=user, amount=Money(20_000), key="bounce")
    assert payout.status == PayoutStatus.RETURNED
    assert balance(user, AVAILABLE) == 50_000
    assert balance(None, IN_FLIGHT) == 0


def test_unreachable_gateway_leaves_a_pending_payout_that_the_sync_sends(monkeypatch):
    from openlance.billing.gateway import SandboxGateway

    user = freelancer_user()
    usable_method(user)
    available(user, 50_000)
    real = SandboxGateway.payout

    def timeout(self, **kwargs):
        raise TimeoutError("gateway down")

    monkeypatch.setattr(SandboxGateway, "payout", timeout)
    payout = withdrawal_create(user=user, amount=Money(20_000), key="down")
    assert payout.status == PayoutStatus.PENDING
    assert balance(user, AVAILABLE) == 30_000
    assert balance(None, IN_FLIGHT) == 20_000
    monkeypatch.setattr(SandboxGateway, "payout", real)
    payout_status_sync_due(now=clock.now())
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.IN_TRANSIT
    # The retry reused the key: the sandbox holds one payout for it.
    from openlance.billing.models import SandboxOperation

    assert SandboxOperation.objects.filter(idempotency_key=payout.key).count() == 1


def test_gateway_refusal_fails_the_payout_and_gives_the_money_back(monkeypatch):
    from openlance.billing.gateway import SandboxGateway

    user = freelancer_user()
    usable_method(user, kind="instant", destination="card_debit")
    available(user, 50_000)

    def refuse(self, **kwargs):
        raise InvalidInput("Destination not supported.")

    monkeypatch.setattr(SandboxGateway, "payout", refuse)
    payout = withdrawal_create(user=user, amount=Money(20_000), key="refused")
    assert payout.status == PayoutStatus.FAILED
    assert payout.closing_transfer.kind == "payout_failed"
    assert balance(user, AVAILABLE) == 50_000
    assert balance(None, FEES) == 0
    assert balance(None, IN_FLIGHT) == 0


# Scheduled withdrawals ---------------------------------------------------------------------


def _earned_at(user, cents, moment, n=1):
    with clock.frozen_at(moment):
        return available(user, cents, n)


def test_scheduled_withdrawal_on_a_schedule_day_at_threshold_and_only_once():
    user = freelancer_user()
    usable_method(user, at=QUARTER_DAY)
    _earned_at(user, 10_000, QUARTER_DAY - timedelta(days=10))
    with clock.frozen_at(QUARTER_DAY):
        assert scheduled_withdrawals_run_due(now=clock.now()) == 1
        assert scheduled_withdrawals_run_due(now=clock.now()) == 0
    payout = Payout.objects.get()
    assert payout.trigger == "scheduled"
    assert payout.amount_cents == 10_000
    assert balance(user, AVAILABLE) == 0


def test_no_scheduled_withdrawal_off_schedule_or_below_threshold():
    user = freelancer_user()
    usable_method(user, at=QUARTER_DAY)
    payout_settings_update(user=user, schedule="quarterly", threshold=Money(20_000))
    _earned_at(user, 15_000, QUARTER_DAY - timedelta(days=10))
    with clock.frozen_at(QUARTER_DAY - timedelta(days=7)):
        assert scheduled_withdrawals_run_due(now=clock.now()) == 0
    with clock.frozen_at(QUARTER_DAY):
        assert scheduled_withdrawals_run_due(now=clock.now()) == 0
    assert not Payout.objects.exists()
    assert balance(user, AVAILABLE) == 15_000


def test_money_held_over_180_days_is_paid_regardless_of_threshold():
    user = freelancer_user()
    usable_method(user, at=QUARTER_DAY)
    _earned_at(user, 5_000, QUARTER_DAY - timedelta(days=181))
    with clock.frozen_at(QUARTER_DAY):
        assert available_held_since(user=user) == QUARTER_DAY - timedelta(days=181)
        assert scheduled_withdrawals_run_due(now=clock.now()) == 1
    assert Payout.objects.get().amount_cents == 5_000


def test_180_days_counts_from_the_oldest_money_not_yet_withdrawn():
    user = freelancer_user()
    usable_method(user, at=QUARTER_DAY - timedelta(days=170))
    _earned_at(user, 5_000, QUARTER_DAY - timedelta(days=200), 1)
    with clock.frozen_at(QUARTER_DAY - timedelta(days=170)):
        withdrawal_create(user=user, amount=Money(5_000), key="old")
    _earned_at(user, 5_000, QUARTER_DAY - timedelta(days=100), 2)
    with clock.frozen_at(QUARTER_DAY):
        assert available_held_since(user=user) == QUARTER_DAY - timedelta(days=100)
        assert scheduled_withdrawals_run_due(now=clock.now()) == 0
    assert Payout.objects.count() == 1


def test_scheduled_withdrawal_waits_for_a_usable_default_method():
    user = freelancer_user()
    _earned_at(user, 50_000, QUARTER_DAY - timedelta(days=10))
    with clock.frozen_at(QUARTER_DAY - timedelta(days=1)):
        withdrawal_method_add(user=user, kind="ach", destination="ba_new", last4="4321")
    with clock.frozen_at(QUARTER_DAY):
        assert scheduled_withdrawals_run_due(now=clock.now()) == 0
    assert balance(user, AVAILABLE) == 50_000


def test_weekly_schedule_pays_on_an_ordinary_wednesday():
    user = freelancer_user()
    wednesday = datetime(2026, 7, 8, 12, 0, tzinfo=UTC)
    usable_method(user, at=wednesday)
    payout_settings_update(user=user, schedule="weekly", threshold=Money(10_000))
    _earned_at(user, 12_345, wednesday - timedelta(days=1))
    with clock.frozen_at(wednesday):
        assert scheduled_withdrawals_run_due(now=clock.now()) == 1


def test_fees_table_matches_the_spec():
    assert {kind: terms.fee_cents for kind, terms in METHOD_FEES.items()} == {
        "ach": 0,
        "local_bank": 99,
        "wire": 3_000,
        "paypal": 200,
        "instant": 200,
    }


def test_released_earning_keeps_its_source():
    user = freelancer_user()
    earning = available(user, 1_000)
    assert (
        PendingEarning.objects.get(pk=earning.pk).release_transfer.metadata["earning_id"]
        == earning.pk
    )


def test_an_earning_the_ledger_refuses_does_not_hold_up_the_others():
    user = freelancer_user()
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with clock.frozen_at(start):
        stuck = pending_earning(user, 10_000, 1)
        fine = pending_earning(user, 4_000, 2)
    # A refund took 7,000 of the pending money back before the security period ended.
    from openlance.ledger.services import account_for, transfer_post

    transfer_post(
        key="test:clawback",
        kind="test.clawback",
        description="Taken back",
        legs=[
            (account_for(kind=AccountKind.FREELANCER_PENDING, owner=user), -7_000),
            (account_for(kind=AccountKind.GATEWAY_CLEARING), 7_000),
        ],
    )
    assert earnings_release_run_due(now=start + timedelta(days=6)) == 1
    stuck.refresh_from_db()
    fine.refresh_from_db()
    assert stuck.released_at is None
    assert fine.released_at is not None
    assert balance(user, AVAILABLE) == 4_000


def test_periodic_tasks_run_the_rules():
    from openlance.billing import tasks

    user = freelancer_user()
    pending_earning(user, 10_000)
    with clock.frozen_at(clock.now() + timedelta(days=6)):
        assert tasks.earnings_release_periodic.call_local() == 1
        assert tasks.scheduled_withdrawals_periodic.call_local() == 0
        assert tasks.payout_status_sync_periodic.call_local()["checked"] == 0
    assert balance(user, AVAILABLE) == 10_000


def test_gateway_unavailable_is_never_a_refusal(monkeypatch):
    from openlance.billing.gateway import PaymentGatewayUnavailable, SandboxGateway

    user = freelancer_user()
    usable_method(user)
    available(user, 50_000)

    def unknown(self, **kwargs):
        raise PaymentGatewayUnavailable("Timed out.")

    monkeypatch.setattr(SandboxGateway, "payout", unknown)
    payout = withdrawal_create(user=user, amount=Money(20_000), key="unknown")
    assert payout.status == PayoutStatus.PENDING
    assert payout_status_sync_due(now=clock.now())["checked"] == 1
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PENDING
    assert payout.closing_transfer is None
    assert balance(user, AVAILABLE) == 30_000
    assert balance(None, IN_FLIGHT) == 20_000


def test_one_payout_that_cannot_be_recorded_does_not_stop_the_sync(monkeypatch):
    from openlance.billing import payouts

    first, second = freelancer_user(), freelancer_user()
    for user in (first, second):
        usable_method(user)
        available(user, 50_000)
    stuck = withdrawal_create(user=first, amount=Money(20_000), key="stuck")
    other = withdrawal_create(user=second, amount=Money(20_000), key="other")
    for payout in (stuck, other):
        sandbox_payout_set_status(reference=payout.gateway_reference, returned=False)
    real = payouts._apply

    def apply(payout_id, result, refusal=""):
        if payout_id == stuck.pk:
            raise RuntimeError("cannot record")
        return real(payout_id, result, refusal)

    monkeypatch.setattr(payouts, "_apply", apply)
    counts = payout_status_sync_due(now=clock.now())
    assert counts == {"checked": 2, "paid": 1, "returned": 0, "failed": 0}
    stuck.refresh_from_db()
    other.refresh_from_db()
    assert (stuck.status, other.status) == (PayoutStatus.IN_TRANSIT, PayoutStatus.PAID)
    monkeypatch.undo()
    assert payout_status_sync_due(now=clock.now())["paid"] == 1


def test_one_scheduled_withdrawal_that_breaks_does_not_stop_the_others(monkeypatch):
    from openlance.billing import payouts

    first, second = freelancer_user(), freelancer_user()
    for n, user in enumerate((first, second), start=1):
        usable_method(user, at=QUARTER_DAY)
        _earned_at(user, 10_000, QUARTER_DAY - timedelta(days=10), n)
    real = payouts.payout_send

    def send(*, payout):
        if payout.user_id == first.pk:
            raise RuntimeError("broken")
        return real(payout=payout)

    monkeypatch.setattr(payouts, "payout_send", send)
    with clock.frozen_at(QUARTER_DAY):
        assert scheduled_withdrawals_run_due(now=clock.now()) == 1
    assert Payout.objects.get(user=second).status == PayoutStatus.IN_TRANSIT
