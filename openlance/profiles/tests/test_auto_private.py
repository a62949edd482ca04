from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client

from openlance.accounts.tests.factories import freelancer_user
from openlance.core import clock
from openlance.core.models import OutboxEvent
from openlance.core.services import outbox_drain
from openlance.profiles.models import Visibility
from openlance.profiles.services import (
    Earnings,
    freelancer_auto_private_run_due,
    freelancer_earnings_record,
    freelancer_set_visibility,
    freelancer_start,
)

pytestmark = pytest.mark.django_db


def _joined(days_ago):
    start = clock.now() - timedelta(days=days_ago)
    with clock.frozen_at(start):
        return freelancer_start(user=freelancer_user())


def _earned(freelancer, days_ago):
    earnings = Earnings(
        total_earned_cents=10_000,
        total_jobs=1,
        last_earned_at=clock.now() - timedelta(days=days_ago),
    )
    freelancer_earnings_record(user=freelancer.user, count=lambda: earnings)


def test_new_freelancer_without_earnings_goes_private_after_90_days():
    fresh, idle = _joined(89), _joined(90)
    assert freelancer_auto_private_run_due(now=clock.now()) == 1
    fresh.refresh_from_db()
    idle.refresh_from_db()
    assert fresh.visibility == Visibility.PUBLIC
    assert idle.visibility == Visibility.PRIVATE
    assert idle.made_private_at is not None
    assert idle.profiles.get().visibility == Visibility.PRIVATE  # search copy follows
    assert freelancer_auto_private_run_due(now=clock.now()) == 0


def test_established_freelancer_goes_private_after_two_years_without_earnings():
    recent, lapsed = _joined(1000), _joined(1000)
    _earned(recent, days_ago=729)
    _earned(lapsed, days_ago=730)
    assert freelancer_auto_private_run_due(now=clock.now()) == 1
    lapsed.refresh_from_db()
    recent.refresh_from_db()
    assert (recent.visibility, lapsed.visibility) == (Visibility.PUBLIC, Visibility.PRIVATE)
    assert OutboxEvent.objects.get(kind="profile.made_private").payload["reason"] == "established"


def test_the_owner_is_told_and_switching_back_is_one_click(settings):
    idle = _joined(120)
    freelancer_auto_private_run_due(now=clock.now())
    outbox_drain(now=clock.now())
    assert mail.outbox[-1].subject.endswith("Your profile is now private")
    assert idle.user.email in mail.outbox[-1].to

    browser = Client()
    browser.force_login(idle.user)
    page = browser.get("/profile/edit/")
    assert b"Make my profile public" in page.content
    response = browser.post("/profile/edit/make-public/")
    assert response.status_code == 302
    idle.refresh_from_db()
    assert idle.visibility == Visibility.PUBLIC
    assert freelancer_auto_private_run_due(now=clock.now() + timedelta(days=89)) == 0
    assert freelancer_auto_private_run_due(now=clock.now() + timedelta(days=91)) == 1


def test_a_profile_made_private_by_hand_is_left_alone():
    chose_private = _joined(200)
    freelancer_set_visibility(freelancer=chose_private, visibility=Visibility.PRIVATE)
    assert freelancer_auto_private_run_due(now=clock.now()) == 0
    chose_private.refresh_from_db()
    assert chose_private.made_private_at is None
