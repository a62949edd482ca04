from datetime import UTC, datetime, timedelta

import pytest

from openlance.accounts.services import user_set_roles, user_switch_role
from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.connects.checks import connects_violations
from openlance.connects.models import ConnectsMove, LotSource
from openlance.connects.selectors import connects_balance, connects_expiring_soon
from openlance.connects.services import (
    connects_account_open,
    connects_grant,
    connects_rising_talent_grant,
    connects_welcome_grant,
)
from openlance.core.clock import frozen_at
from openlance.core.errors import InvalidInput
from openlance.core.models import Policy, PolicyKind

NOW = datetime(2026, 3, 10, 9, tzinfo=UTC)
CLASSIC = datetime(2018, 3, 10, 9, tzinfo=UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _connects_sound():
    yield
    assert connects_violations() == []


def test_a_new_freelancer_gets_the_welcome_grant_once():
    user = freelancer_user()
    with frozen_at(NOW):
        account = connects_account_open(user=user)
        connects_account_open(user=user)
        assert connects_welcome_grant(user=user) is not None
        assert connects_balance(user=user) == 20
    assert account.welcomed_at == NOW
    move = ConnectsMove.objects.get()
    assert move.key == f"welcome:{user.pk}"
    assert move.entries.get().lot.source == LotSource.WELCOME


def test_a_client_gets_no_welcome_until_they_become_a_freelancer():
    user = client_user()
    with frozen_at(NOW):
        account = connects_account_open(user=user)
        assert account.welcomed_at is None
        assert connects_balance(user=user) == 0
        user.is_freelancer = True
        user.save()
        connects_account_open(user=user)
        assert connects_balance(user=user) == 20


def test_a_policy_without_a_welcome_grant_welcomes_with_nothing_and_never_later():
    user = freelancer_user()
    with frozen_at(CLASSIC):
        assert connects_account_open(user=user).welcomed_at == CLASSIC
    with frozen_at(NOW):
        assert connects_welcome_grant(user=user) is None
        assert connects_balance(user=user) == 0
    assert not ConnectsMove.objects.exists()


def test_rising_talent_grant_is_given_once():
    user = freelancer_user()
    with frozen_at(NOW):
        first = connects_rising_talent_grant(user=user)
        again = connects_rising_talent_grant(user=user)
        assert connects_balance(user=user) == 30
    assert first == again
    assert first.entries.get().lot.source == LotSource.RISING_TALENT


def test_rising_talent_earned_again_under_a_changed_grant_finds_the_first_one():
    user = freelancer_user()
    with frozen_at(NOW):
        first = connects_rising_talent_grant(user=user)
    base = Policy.objects.filter(kind=PolicyKind.CONNECTS).order_by("-effective_from").first()
    Policy.objects.create(
        kind=PolicyKind.CONNECTS,
        label="bigger grant",
        effective_from=NOW + timedelta(days=1),
        params={**base.params, "rising_talent_grant": 45},
        created_at=NOW,
    )
    with frozen_at(NOW + timedelta(days=2)):
        assert connects_rising_talent_grant(user=user) == first
        assert connects_balance(user=user) == 30
    assert ConnectsMove.objects.count() == 1


def test_clients_get_no_rising_talent_grant():
    user = client_user()
    with frozen_at(NOW), pytest.raises(InvalidInput):
        connects_rising_talent_grant(user=user)
    assert not ConnectsMove.objects.exists()


def test_expiring_soon_lists_lots_lapsing_within_the_window_soonest_first():
    user = freelancer_user()
    with frozen_at(NOW - timedelta(days=350)):
        connects_grant(user=user, units=5, source="purchase", key="old", description="t")
    with frozen_at(NOW - timedelta(days=340)):
        connects_grant(user=user, units=6, source="purchase", key="mid", description="t")
    with frozen_at(NOW):
        connects_grant(user=user, units=7, source="purchase", key="new", description="t")
        lots = list(connects_expiring_soon(user=user, within=timedelta(days=30)))
    assert [lot.units for lot in lots] == [5, 6]


def test_taking_up_the_freelancer_role_brings_the_welcome_grant_once(
    django_capture_on_commit_callbacks,
):
    user = client_user()
    with django_capture_on_commit_callbacks(execute=True):
        user_switch_role(user=user, role="freelancer")
    with django_capture_on_commit_callbacks(execute=True):
        user_set_roles(user=user, freelancer=True, client=True)
    assert connects_balance(user=user) == 20
    assert ConnectsMove.objects.filter(account__user=user).count() == 1
