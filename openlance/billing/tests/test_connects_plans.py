"""The Plus plan's charges: subscribing, and the monthly run over many accounts."""

from datetime import UTC, datetime

import pytest
from django.db import connection

from openlance.accounts.models import User
from openlance.accounts.tests.factories import freelancer_user
from openlance.billing import connects as billing_connects
from openlance.billing import gateway as gw
from openlance.billing.claims import CLAIM_TIMEOUT
from openlance.billing.connects import connects_plans_run_due, connects_plus_subscribe
from openlance.billing.models import ChargeClaim, SandboxOperation
from openlance.connects.models import ConnectsAccount, Plan
from openlance.connects.services import connects_account_open, connects_plus_cancel
from openlance.core.clock import frozen_at
from openlance.core.errors import (
    IdempotencyConflict,
    InvalidInput,
    InvalidTransition,
    PaymentDeclined,
)
from openlance.core.models import OutboxEvent
from openlance.core.money import Money
from openlance.ledger.models import Transfer

pytestmark = pytest.mark.usefixtures("assert_ledger_sound", "assert_connects_sound")

NOW = datetime(2026, 3, 10, 9, tzinfo=UTC)
RENEWAL = datetime(2026, 4, 10, 9, tzinfo=UTC)
LATER = RENEWAL.replace(hour=10)


def _subscribe(user, key="s", at=NOW):
    with frozen_at(at):
        return connects_plus_subscribe(user=user, payment_method="pm_card_visa", key=key)


def _account(user) -> ConnectsAccount:
    return ConnectsAccount.objects.get(user=user)


def _charges() -> int:
    return SandboxOperation.objects.filter(kind="charge").count()


@pytest.fixture
def two_on_plus():
    first, second = freelancer_user(), freelancer_user()
    _subscribe(first, key="a")
    _subscribe(second, key="b", at=NOW.replace(minute=5))
    return first, second


def _gateway_says(monkeypatch, error, *, card):
    real = gw.SandboxGateway.charge

    def charge(self, **kwargs):
        if kwargs["payment_method"] == card:
            raise error
        return real(self, **kwargs)

    monkeypatch.setattr(gw.SandboxGateway, "charge", charge)


# --- the monthly run: one account never stops the others --------------------------------


def test_a_gateway_refusal_lapses_that_account_and_the_others_renew(monkeypatch, two_on_plus):
    first, second = two_on_plus
    ConnectsAccount.objects.filter(user=first).update(plus_payment_method="pm_gone")
    _gateway_says(
        monkeypatch, InvalidInput("Stripe does not know this payment method."), card="pm_gone"
    )
    with frozen_at(LATER):
        counts = connects_plans_run_due(now=LATER)
    assert counts == {"basic": 0, "plus": 1, "lapsed": 1, "retry": 0}
    assert _account(first).plan == Plan.BASIC
    assert _account(second).plan == Plan.PLUS
    assert _account(second).next_grant_at == datetime(2026, 5, 10, 9, 5, tzinfo=UTC)
    lapse = OutboxEvent.objects.get(kind="connects.plus_lapsed")
    assert lapse.payload == {"user_id": first.pk, "reason": "invalid_input"}


def test_an_unavailable_gateway_leaves_that_account_for_the_next_run(monkeypatch, two_on_plus):
    first, second = two_on_plus
    ConnectsAccount.objects.filter(user=first).update(plus_payment_method="pm_card_mastercard")
    _gateway_says(
        monkeypatch, gw.PaymentGatewayUnavailable("Stripe is down"), card="pm_card_mastercard"
    )
    with frozen_at(LATER):
        counts = connects_plans_run_due(now=LATER)
    assert counts == {"basic": 0, "plus": 1, "lapsed": 0, "retry": 1}
    assert _account(first).plan == Plan.PLUS
    assert _account(first).next_grant_at == RENEWAL
    assert _account(second).next_grant_at == datetime(2026, 5, 10, 9, 5, tzinfo=UTC)
    monkeypatch.undo()
    with frozen_at(LATER):
        assert connects_plans_run_due(now=LATER)["plus"] == 1
    assert _account(first).next_grant_at == datetime(2026, 5, 10, 9, tzinfo=UTC)
    assert Transfer.objects.filter(kind="connects_plus").count() == 4


def test_an_unexpected_failure_is_logged_and_the_others_renew(monkeypatch, two_on_plus):
    first, second = two_on_plus
    ConnectsAccount.objects.filter(user=first).update(plus_payment_method="pm_card_mastercard")
    _gateway_says(monkeypatch, RuntimeError("charge stuck"), card="pm_card_mastercard")
    with frozen_at(LATER):
        counts = connects_plans_run_due(now=LATER)
    assert counts == {"basic": 0, "plus": 1, "lapsed": 0, "retry": 1}
    assert _account(first).next_grant_at == RENEWAL
    assert _account(second).next_grant_at == datetime(2026, 5, 10, 9, 5, tzinfo=UTC)
    # The next run settles the charge the failure left unsettled.
    monkeypatch.undo()
    with frozen_at(LATER):
        assert connects_plans_run_due(now=LATER)["plus"] == 1
    assert _account(first).next_grant_at == datetime(2026, 5, 10, 9, tzinfo=UTC)


# --- who is charged ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [{"is_active": False}, {"is_freelancer": False}],
    ids=["deactivated", "not_freelancer"],
)
def test_plus_of_a_deactivated_or_former_freelancer_lapses_without_a_charge(change):
    user = freelancer_user()
    _subscribe(user)
    User.objects.filter(pk=user.pk).update(**change)
    with frozen_at(RENEWAL):
        counts = connects_plans_run_due(now=RENEWAL)
    assert counts == {"basic": 1, "plus": 0, "lapsed": 0, "retry": 0}
    assert _charges() == 1
    account = _account(user)
    assert account.plan == Plan.BASIC
    assert account.plus_payment_method == ""


def test_a_cancel_that_lands_after_the_run_has_read_the_accounts_is_not_charged(monkeypatch):
    user = freelancer_user()
    _subscribe(user)
    real = billing_connects.connects_accounts_due

    def due_then_cancelled(*, now):
        rows = real(now=now)
        list(rows)
        with frozen_at(RENEWAL):
            connects_plus_cancel(user=user)
        return rows

    monkeypatch.setattr(billing_connects, "connects_accounts_due", due_then_cancelled)
    with frozen_at(RENEWAL):
        counts = connects_plans_run_due(now=RENEWAL)
    assert counts["basic"] == 1
    assert _charges() == 1
    assert _account(user).plan == Plan.BASIC


# --- subscribing ---------------------------------------------------------------------------


def test_subscribing_charges_the_card_outside_any_transaction(monkeypatch):
    user = freelancer_user()
    depth = len(connection.atomic_blocks)
    real = gw.SandboxGateway.charge
    seen: list[int] = []

    def charge(self, **kwargs):
        seen.append(len(connection.atomic_blocks))
        return real(self, **kwargs)

    monkeypatch.setattr(gw.SandboxGateway, "charge", charge)
    account = _subscribe(user)
    assert seen == [depth]
    assert account.plan == Plan.PLUS


def test_a_charge_for_another_amount_under_the_same_key_books_nothing():
    user = freelancer_user()
    digest = gw.idempotency_key_digest("s")
    gw.SandboxGateway().charge(
        amount=Money(100),
        payment_method="pm_card_visa",
        idempotency_key=f"connects-plus:{user.pk}:{digest}",
        description="something else",
    )
    with pytest.raises(IdempotencyConflict):
        _subscribe(user)
    assert _account(user).plan == Plan.BASIC
    assert not Transfer.objects.filter(kind="connects_plus").exists()


def test_a_second_subscribe_while_the_first_is_at_the_gateway_is_refused_before_charging(
    monkeypatch,
):
    user = freelancer_user()
    real = gw.SandboxGateway.charge
    answers: list[str] = []

    def charge(self, **kwargs):
        if not answers:
            # The other tab's request arrives while this one's card is being charged.
            try:
                _subscribe(user, key="other tab")
            except InvalidTransition as refusal:
                answers.append(refusal.detail)
        return real(self, **kwargs)

    monkeypatch.setattr(gw.SandboxGateway, "charge", charge)
    assert _subscribe(user, key="first tab").plan == Plan.PLUS
    assert len(answers) == 1
    assert "being set up" in answers[0]
    assert _charges() == 1
    assert Transfer.objects.filter(kind="connects_plus").count() == 1
    assert not ChargeClaim.objects.exists()


def test_a_declined_card_frees_the_subscription_for_another_attempt():
    user = freelancer_user()
    with pytest.raises(PaymentDeclined):
        connects_plus_subscribe(user=user, payment_method="pm_card_declined", key="declined")
    assert not ChargeClaim.objects.exists()
    assert _subscribe(user, key="another card").plan == Plan.PLUS


def test_a_claim_left_by_a_process_that_died_lapses():
    user = freelancer_user()
    connects_account_open(user=user)
    ChargeClaim.objects.create(
        subject=f"connects-plus:{user.pk}", holder="dead", claimed_at=NOW - CLAIM_TIMEOUT * 2
    )
    assert _subscribe(user).plan == Plan.PLUS


# --- the monthly date ----------------------------------------------------------------------


def test_the_monthly_date_returns_to_its_day_after_a_short_month():
    user = freelancer_user()
    _subscribe(user, at=datetime(2026, 1, 31, 9, tzinfo=UTC))
    assert _account(user).next_grant_at == datetime(2026, 2, 28, 9, tzinfo=UTC)
    for moment in (datetime(2026, 2, 28, 10, tzinfo=UTC), datetime(2026, 3, 31, 10, tzinfo=UTC)):
        with frozen_at(moment):
            connects_plans_run_due(now=moment)
    assert _account(user).next_grant_at == datetime(2026, 4, 30, 9, tzinfo=UTC)
