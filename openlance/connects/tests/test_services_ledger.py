from datetime import UTC, datetime, timedelta

import pytest

from openlance.accounts.tests.factories import freelancer_user
from openlance.connects.checks import connects_violations
from openlance.connects.models import ConnectsMove, LotSource, MoveKind
from openlance.connects.selectors import connects_balance
from openlance.connects.services import (
    NotEnoughConnects,
    connects_expiry_run_due,
    connects_grant,
    connects_refund,
    connects_spend,
)
from openlance.core.clock import frozen_at
from openlance.core.errors import IdempotencyConflict

START = datetime(2026, 3, 1, 12, tzinfo=UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _connects_sound():
    yield
    assert connects_violations() == []


def _grant(user, units, key, when=START, source=LotSource.PURCHASE):
    with frozen_at(when):
        return connects_grant(user=user, units=units, source=source, key=key, description="t")


def test_spend_takes_from_the_lot_that_expires_first():
    user = freelancer_user()
    older = _grant(user, 5, "a")
    _grant(user, 10, "b", when=START + timedelta(days=30))
    with frozen_at(START + timedelta(days=40)):
        spend = connects_spend(user=user, units=7, key="p1", description="proposal")
        assert connects_balance(user=user) == 8
    taken = {entry.lot_id: entry.units for entry in spend.entries.all()}
    assert taken[older.entries.get().lot_id] == -5
    assert sum(taken.values()) == -7


def test_not_enough_connects_spends_nothing():
    user = freelancer_user()
    _grant(user, 3, "a")
    with frozen_at(START), pytest.raises(NotEnoughConnects):
        connects_spend(user=user, units=4, key="p1", description="proposal")
    assert not ConnectsMove.objects.filter(kind=MoveKind.SPEND).exists()
    with frozen_at(START):
        assert connects_balance(user=user) == 3


def test_the_same_key_spends_once_and_another_amount_is_refused():
    user = freelancer_user()
    _grant(user, 10, "a")
    with frozen_at(START):
        first = connects_spend(user=user, units=4, key="p1", description="proposal")
        assert connects_spend(user=user, units=4, key="p1", description="proposal") == first
        with pytest.raises(IdempotencyConflict):
            connects_spend(user=user, units=6, key="p1", description="proposal")
        assert connects_balance(user=user) == 6


def test_refund_restores_the_lots_and_their_dates_and_happens_once():
    user = freelancer_user()
    _grant(user, 4, "a")
    with frozen_at(START + timedelta(days=1)):
        spend = connects_spend(user=user, units=4, key="p1", description="proposal")
        connects_refund(spend=spend, key="p1:refund", description="post closed")
        connects_refund(spend=spend, key="p1:refund", description="post closed")
        assert connects_balance(user=user) == 4
    assert ConnectsMove.objects.filter(kind=MoveKind.REFUND).count() == 1


def test_connects_expire_a_year_after_the_grant_and_the_run_is_safe_twice():
    user = freelancer_user()
    _grant(user, 4, "a")
    later = START + timedelta(days=366)
    with frozen_at(later):
        assert connects_balance(user=user) == 0
        assert connects_expiry_run_due(now=later) == 4
        assert connects_expiry_run_due(now=later) == 0
    assert ConnectsMove.objects.get(kind=MoveKind.EXPIRY).units == -4


def test_a_refund_into_an_expired_lot_expires_again_at_once():
    user = freelancer_user()
    _grant(user, 4, "a")
    with frozen_at(START + timedelta(days=10)):
        spend = connects_spend(user=user, units=4, key="p1", description="proposal")
    with frozen_at(START + timedelta(days=400)):
        connects_refund(spend=spend, key="p1:refund", description="post closed")
        assert connects_balance(user=user) == 0
    kinds = list(ConnectsMove.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == ["purchase", "spend", "refund", "expiry"]
