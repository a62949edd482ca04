"""Badges as stored (SPEC §12), from facts made through the services: weekly snapshots with a
frozen clock and Top Rated's 13 of the last 16; Rising Talent and its one-time Connects
(once, even when the badge is lost and earned again); a hold placed by a mediator takes Top
Rated away at once, audited, and lifting it gives it back; the daily run is safe to repeat
and copies the badges onto profiles, where search's badge filter reads them; a score change
recomputes the badges."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse

from openlance.accounts.models import AuditLogEntry, User
from openlance.accounts.tests.factories import UserFactory
from openlance.catalog.models import Skill
from openlance.connects.models import ConnectsMove
from openlance.connects.selectors import connects_balance
from openlance.contracts.models import Contract, DisputeDecision
from openlance.core import clock
from openlance.core.errors import Conflict
from openlance.core.tests.files import png_upload
from openlance.jobs.tests.factories import job_client
from openlance.profiles.badges import Badge
from openlance.profiles.models import Freelancer, Profile
from openlance.profiles.search import FreelancerSearchParams, search_freelancer_cards
from openlance.profiles.selectors import profile_completeness
from openlance.profiles.services import (
    employment_add,
    freelancer_set_photo,
    freelancer_update,
    portfolio_item_save,
    profile_update,
)
from openlance.reputation.badges import CriterionKey, badges_compute
from openlance.reputation.models import (
    AccountHold,
    BadgeChange,
    BadgeReason,
    BadgeStatus,
    JssScore,
    JssSnapshot,
)
from openlance.reputation.selectors import (
    badge_facts,
    badge_params_at,
    badges_explanation,
    jss_params_at,
)
from openlance.reputation.services import (
    _badges_store,
    account_hold_lift,
    account_hold_place,
    badges_run_due,
    jss_snapshots_run_due,
)
from openlance.reputation.tasks import badges_daily, jss_snapshots_weekly
from openlance.reputation.tests.factories import funded_freelancer, rated_contract
from openlance.reviews.tests.factories import ended_contract

pytestmark = pytest.mark.django_db

START = datetime(2026, 1, 5, 10, tzinfo=UTC)  # a Monday
NOW = START + timedelta(weeks=15, days=2)  # week 15 after START is the current one


def complete_profile(user: User) -> None:
    """Every part of the profile editor filled in, through the services (100%)."""
    freelancer = Freelancer.objects.get(user=user)
    freelancer_update(
        freelancer=freelancer,
        country="US",
        city="Austin",
        time_zone="America/Chicago",
        intro_video_url="",
        availability="part_time",
        available_now=True,
        english_level="fluent",
        visibility="public",
    )
    freelancer_set_photo(freelancer=freelancer, upload=png_upload("me.png"))
    profile_update(
        profile=Profile.objects.get(freelancer=freelancer, is_general=True),
        title="Python developer",
        overview="I build and run web applications for small businesses. " * 3,
        hourly_rate_cents=6_000,
        skill_slugs=list(Skill.objects.order_by("pk").values_list("slug", flat=True)[:3]),
    )
    portfolio_item_save(
        freelancer=freelancer,
        title="A shop",
        description="",
        link="https://example.com",
        skill_slugs=[],
    )
    employment_add(
        freelancer=freelancer,
        company="Acme",
        role="Developer",
        started_on=date(2020, 1, 1),
        ended_on=None,
    )
    freelancer = Freelancer.objects.get(user=user)
    assert profile_completeness(freelancer=freelancer).percent == 100


def signed_in(user: User, at: datetime) -> None:
    user.last_login = at
    user.save(update_fields=["last_login"])


def held(user: User) -> list[str]:
    return Freelancer.objects.get(user=user).badges


def mediator() -> User:
    staff = UserFactory(is_staff=True)
    staff.groups.add(Group.objects.get(name="Mediator"))
    return staff


def top_rated_history(*, weeks: range) -> User:
    """A verified freelancer with a complete profile and two contracts from two clients
    rated the best (100%, $1,200 earned) that started on START, and the weekly snapshots of
    the weeks `weeks` after START (a frozen clock each)."""
    user = funded_freelancer(verified_country="US")
    with time_machine.travel(START, tick=False):
        complete_profile(user)
        rated_contract(user, paid_cents=60_000)
        rated_contract(user, paid_cents=60_000)
    assert JssScore.objects.get(freelancer=user).score == 100
    for week in weeks:
        moment = START + timedelta(weeks=week, minutes=5)
        with clock.frozen_at(moment):
            assert jss_snapshots_run_due(now=moment) >= 1
    return user


def test_weekly_snapshots_keep_each_score_once_a_week_under_its_monday():
    scored = funded_freelancer()
    with time_machine.travel(START, tick=False):
        rated_contract(scored)
        rated_contract(scored)
    unscored = funded_freelancer()
    with time_machine.travel(START, tick=False):
        rated_contract(unscored)  # one client: no score yet, still snapshotted
    wednesday = START + timedelta(days=2, hours=3)
    with clock.frozen_at(wednesday):
        assert jss_snapshots_weekly.call_local() == 2  # the periodic task, as the worker runs it
        assert jss_snapshots_run_due(now=wednesday) == 0  # safe to run twice
        out = StringIO()
        call_command("jss_snapshots_run_due", stdout=out)
        assert out.getvalue().strip() == "0 snapshot(s) taken."
    rows = sorted(JssSnapshot.objects.values_list("freelancer_id", "week_start", "score"))
    assert rows == [(scored.pk, date(2026, 1, 5), 100), (unscored.pk, date(2026, 1, 5), None)]
    next_week = START + timedelta(weeks=1)
    with clock.frozen_at(next_week):
        assert jss_snapshots_run_due(now=next_week) == 2
    assert JssSnapshot.objects.filter(week_start=date(2026, 1, 12)).count() == 2


def test_top_rated_needs_13_of_the_last_16_weekly_snapshots():
    user = top_rated_history(weeks=range(4, 16))  # 12 of the last 16 weeks
    # Between its two contracts it was Rising Talent: no score yet, complete and verified.
    assert list(
        BadgeChange.objects.order_by("at", "id").values_list("badge", "earned", "reason")
    ) == [
        (Badge.RISING_TALENT, True, BadgeReason.JSS_CHANGED),
        (Badge.RISING_TALENT, False, BadgeReason.JSS_CHANGED),
    ]
    signed_in(user, NOW)
    with clock.frozen_at(NOW):
        assert badges_run_due(now=NOW) == 0
        x = badges_explanation(user=user, now=NOW)
    weeks = next(
        c for c in x.criteria.of(Badge.TOP_RATED).criteria if c.key == CriterionKey.JSS_WEEKS
    )
    assert (weeks.met, weeks.actual_label) == (False, "12 of 16 weeks")
    assert x.criteria.of(Badge.TOP_RATED).unmet == (CriterionKey.JSS_WEEKS,)
    assert held(user) == []
    # The week-3 snapshot, taken late by hand, makes 13.
    week3 = START + timedelta(weeks=3, days=4)
    with clock.frozen_at(week3):
        assert jss_snapshots_run_due(now=week3) == 1
    with clock.frozen_at(NOW):
        assert badges_daily.call_local() == 1
    assert held(user) == [Badge.TOP_RATED]
    change = BadgeChange.objects.get(freelancer=user, badge=Badge.TOP_RATED)
    assert (change.badge, change.earned, change.reason, change.at) == (
        Badge.TOP_RATED,
        True,
        BadgeReason.DAILY,
        NOW,
    )
    # 16 weeks on, the old snapshots have left the last 16 and none were taken since.
    later = NOW + timedelta(weeks=10)
    with clock.frozen_at(later):
        assert badges_run_due(now=later) == 1
    assert held(user) == []
    lost = BadgeChange.objects.get(freelancer=user, badge=Badge.TOP_RATED, earned=False)
    assert lost.unmet == [CriterionKey.JSS_WEEKS]


def test_a_hold_takes_top_rated_away_at_once_audited_and_lifting_gives_it_back():
    user = top_rated_history(weeks=range(16))
    signed_in(user, NOW)
    staff = mediator()
    with clock.frozen_at(NOW):
        badges_run_due(now=NOW)
        assert held(user) == [Badge.TOP_RATED]
        hold = account_hold_place(staff=staff, user=user, reason="Chargebacks under review.")
    assert held(user) == []
    assert Profile.objects.get(freelancer__user=user).badges == []
    assert BadgeStatus.objects.get(freelancer=user).top_rated is False
    lost = BadgeChange.objects.get(freelancer=user, badge=Badge.TOP_RATED, earned=False)
    assert (lost.reason, lost.unmet) == (BadgeReason.HOLD_PLACED, [CriterionKey.NO_HOLD])
    entry = AuditLogEntry.objects.get(action="account.hold_placed")
    assert (entry.actor, entry.target_id, entry.detail["reason"]) == (
        staff,
        str(user.pk),
        "Chargebacks under review.",
    )
    assert entry.detail["hold_id"] == hold.pk
    with clock.frozen_at(NOW), pytest.raises(Conflict):
        account_hold_place(staff=staff, user=user, reason="Again.")
    with clock.frozen_at(NOW):
        assert badges_run_due(now=NOW) == 0  # the daily run keeps it off
        account_hold_lift(staff=staff, user=user, reason="Resolved.")
    assert held(user) == [Badge.TOP_RATED]
    assert AuditLogEntry.objects.filter(action="account.hold_lifted").count() == 1
    hold.refresh_from_db()
    assert (hold.lifted_by, hold.lift_reason) == (staff, "Resolved.")
    with clock.frozen_at(NOW), pytest.raises(Conflict):
        account_hold_lift(staff=staff, user=user, reason="Again.")


def test_only_mediators_place_holds_and_a_refusal_changes_nothing():
    user = funded_freelancer()
    support = UserFactory(is_staff=True)
    support.groups.add(Group.objects.get(name="Support"))
    with pytest.raises(PermissionDenied):
        account_hold_place(staff=support, user=user, reason="No.")
    assert not AccountHold.objects.exists()
    assert not AuditLogEntry.objects.filter(action__startswith="account.hold").exists()


def rising_talent() -> User:
    user = funded_freelancer(verified_country="US")
    complete_profile(user)
    signed_in(user, clock.now())
    return user


def test_rising_talent_grants_its_connects_once_even_when_lost_and_earned_again():
    user = rising_talent()
    before = connects_balance(user=user)
    assert badges_run_due(now=clock.now()) == 1
    assert held(user) == [Badge.RISING_TALENT]
    assert connects_balance(user=user) == before + 30
    assert ConnectsMove.objects.filter(key=f"rising_talent:{user.pk}").count() == 1
    # Lost: the location is no longer verified ...
    user.verified_country = ""
    user.save(update_fields=["verified_country"])
    assert badges_run_due(now=clock.now()) == 1
    assert held(user) == []
    lost = BadgeChange.objects.get(freelancer=user, earned=False)
    assert lost.unmet == [CriterionKey.LOCATION_VERIFIED]
    # ... and earned again: no second grant.
    user.verified_country = "US"
    user.save(update_fields=["verified_country"])
    assert badges_run_due(now=clock.now()) == 1
    assert held(user) == [Badge.RISING_TALENT]
    assert connects_balance(user=user) == before + 30
    assert ConnectsMove.objects.filter(key=f"rising_talent:{user.pk}").count() == 1
    assert BadgeChange.objects.filter(freelancer=user, earned=True).count() == 2


def test_the_daily_run_is_safe_to_repeat_and_by_hand():
    user = rising_talent()
    idle = funded_freelancer()
    now = clock.now()
    assert badges_run_due(now=now) == 1
    assert badges_run_due(now=now) == 0
    out = StringIO()
    call_command("badges_run_due", stdout=out)
    assert out.getvalue().strip() == "0 freelancer(s) earned or lost a badge."
    assert BadgeChange.objects.count() == 1
    assert sorted(BadgeStatus.objects.values_list("freelancer_id", flat=True)) == sorted(
        [user.pk, idle.pk]
    )


def test_inactive_for_90_days_loses_rising_talent():
    user = rising_talent()
    now = clock.now()
    badges_run_due(now=now)
    later = now + timedelta(days=91)
    with clock.frozen_at(later):
        assert badges_run_due(now=later) == 1
    assert BadgeChange.objects.get(freelancer=user, earned=False).unmet == [CriterionKey.ACTIVE]


def test_the_search_filter_reads_the_computed_badges():
    user = rising_talent()
    unverified = funded_freelancer()
    complete_profile(unverified)
    signed_in(unverified, clock.now())
    badges_run_due(now=clock.now())
    viewer = job_client()
    found = search_freelancer_cards(
        viewer=viewer, params=FreelancerSearchParams(badges=(Badge.RISING_TALENT,))
    )
    assert [card.user_id for card in found.items] == [user.pk]
    top = search_freelancer_cards(
        viewer=viewer, params=FreelancerSearchParams(badges=(Badge.TOP_RATED,))
    )
    assert top.total == 0
    assert held(unverified) == []


def test_a_score_change_recomputes_the_badges():
    user = rising_talent()
    badges_run_due(now=clock.now())
    assert held(user) == [Badge.RISING_TALENT]
    rated_contract(user)
    assert held(user) == [Badge.RISING_TALENT]  # one contract: still no score
    rated_contract(user)  # the second client: a score, so no longer Rising Talent
    assert JssScore.objects.get(freelancer=user).score == 100
    assert held(user) == []
    lost = BadgeChange.objects.get(freelancer=user, earned=False)
    assert (lost.reason, lost.unmet) == (BadgeReason.JSS_CHANGED, [CriterionKey.NO_SCORE])


def test_a_negative_outcome_takes_rising_talent_away():
    user = rising_talent()
    badges_run_due(now=clock.now())
    rated_contract(user, recommend=0)
    assert JssScore.objects.get(freelancer=user).negative_outcomes == 1
    assert held(user) == []
    lost = BadgeChange.objects.get(freelancer=user, earned=False)
    assert lost.unmet == [CriterionKey.NO_NEGATIVE_OUTCOME]


def test_the_console_places_a_hold_by_email_and_lifts_it_with_a_reason(client):
    user = funded_freelancer()
    staff = mediator()
    client.force_login(staff)
    add = reverse("admin:reputation_accounthold_add")
    page = client.get(add)
    assert page.status_code == 200
    assert "admin/reputation/place_hold.html" in {t.name for t in page.templates}
    missing = client.post(add, {"email": "nobody@example.com", "reason": "x"})
    assert "There is no account with this email." in missing.content.decode()
    placed = client.post(add, {"email": user.email.upper(), "reason": "Chargebacks."})
    assert placed.status_code == 302
    hold = AccountHold.objects.get(user=user)
    assert (hold.placed_by, hold.reason, hold.is_open) == (staff, "Chargebacks.", True)
    again = client.post(add, {"email": user.email, "reason": "Again."})
    assert "is already on hold" in again.content.decode()
    changelist = reverse("admin:reputation_accounthold_changelist")
    client.post(
        changelist,
        {"action": "lift", "_selected_action": [hold.pk], "apply": "1", "reason": "Resolved."},
    )
    hold.refresh_from_db()
    assert (hold.is_open, hold.lifted_by, hold.lift_reason) == (False, staff, "Resolved.")
    actions = list(
        AuditLogEntry.objects.filter(action__startswith="account.hold").values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == ["account.hold_lifted", "account.hold_placed"]
    # Support reads holds but places none.
    support = UserFactory(is_staff=True)
    support.groups.add(Group.objects.get(name="Support"))
    client.force_login(support)
    assert client.get(changelist).status_code == 200
    assert client.get(add).status_code == 403


def test_support_reads_scores_and_badges_but_cannot_recompute_them(client):
    user = rising_talent()
    badges_run_due(now=clock.now())
    status = BadgeStatus.objects.get(freelancer=user)
    computed_at = status.computed_at
    support = UserFactory(is_staff=True)
    support.groups.add(Group.objects.get(name="Support"))
    client.force_login(support)
    changelist = reverse("admin:reputation_badgestatus_changelist")
    page = client.get(changelist)
    assert page.status_code == 200
    assert 'value="recompute"' not in page.content.decode()
    client.post(changelist, {"action": "recompute", "_selected_action": [status.pk]})
    status.refresh_from_db()
    assert status.computed_at == computed_at
    assert not AuditLogEntry.objects.filter(action="badges.recomputed").exists()
    # A mediator may.
    client.force_login(mediator())
    assert 'value="recompute"' in client.get(changelist).content.decode()
    client.post(changelist, {"action": "recompute", "_selected_action": [status.pk]})
    assert AuditLogEntry.objects.filter(action="badges.recomputed").count() == 1


def test_a_dispute_lost_without_feedback_takes_rising_talent_away():
    user = rising_talent()
    badges_run_due(now=clock.now())
    contract = ended_contract(freelancer=user, paid_cents=20_000)
    Contract.objects.filter(pk=contract.pk).update(
        dispute_decision=DisputeDecision.AGAINST_FREELANCER
    )
    assert badges_run_due(now=clock.now()) == 1
    assert held(user) == []
    lost = BadgeChange.objects.get(freelancer=user, earned=False)
    assert lost.unmet == [CriterionKey.NO_NEGATIVE_OUTCOME]


def test_an_older_computation_does_not_overwrite_a_newer_one():
    user = top_rated_history(weeks=range(16))
    signed_in(user, NOW)
    _, params = badge_params_at(NOW)
    _, jss_params = jss_params_at(NOW)
    with clock.frozen_at(NOW):
        badges_run_due(now=NOW)
        # The daily run reads its thousand's facts ...
        facts = badge_facts(user_ids=[user.pk], now=NOW, params=params, jss_params=jss_params)
        stale = badges_compute(facts[user.pk], now=NOW, params=params)
    assert Badge.TOP_RATED in stale.held
    # ... a mediator places a hold meanwhile ...
    later = NOW + timedelta(minutes=5)
    with clock.frozen_at(later):
        account_hold_place(staff=mediator(), user=user, reason="Chargebacks under review.")
    # ... and the run's store of what it read finds the newer result and keeps it.
    _badges_store(freelancer_id=user.pk, result=stale, reason=BadgeReason.DAILY, now=NOW)
    assert held(user) == []
    assert BadgeStatus.objects.get(freelancer=user).computed_at == later
