"""The stored score (SPEC §11) from contracts and feedback made through the services and
the API: the current score, a history row for every change with its reason and the windows'
scores, the score handed to profiles (search's ranking and minimum-JSS filter read it), the
daily ageing rule with a frozen clock, the one-off backfill, the recompute a new policy
version brings, and the operators' recompute (audited)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from openlance.accounts.models import AuditLogEntry
from openlance.accounts.tests.factories import UserFactory
from openlance.core import clock
from openlance.core.models import OutboxEvent, PolicyKind
from openlance.core.policies import ranking_policy_at
from openlance.core.presets import JSS_DEFAULTS
from openlance.core.services import policy_add
from openlance.jobs.tests.factories import job_client
from openlance.profiles.models import Freelancer, Profile
from openlance.profiles.search import (
    FreelancerSearchParams,
    quality_ranks,
    search_freelancer_cards,
)
from openlance.profiles.tests.factories import freelancer_with_profile
from openlance.reputation.jss import add_months
from openlance.reputation.models import JssChange, JssReason, JssScore
from openlance.reputation.services import (
    jss_ageing_run_due,
    jss_backfill,
    jss_policy_run_due,
    jss_recompute,
)
from openlance.reputation.tasks import jss_ageing_daily, jss_policy_periodic
from openlance.reputation.tests.factories import (
    deliver,
    funded_freelancer,
    rated_contract,
    release,
    running_contract,
)

pytestmark = pytest.mark.django_db


def stored(freelancer) -> JssScore:
    return JssScore.objects.get(freelancer=freelancer)


def windows(freelancer) -> list[tuple[int, int | None]]:
    """Each window's score as the latest change recorded it (the current state)."""
    latest = JssChange.objects.filter(freelancer=freelancer).order_by("at", "id").last()
    assert latest is not None
    return [(w["months"], w["score"]) for w in latest.windows]


def changes(freelancer) -> list[tuple[int | None, int | None, str]]:
    return [
        (c.old_score, c.new_score, c.reason)
        for c in JssChange.objects.filter(freelancer=freelancer).order_by("at", "id")
    ]


def search(**filters) -> list[int]:
    page = search_freelancer_cards(
        viewer=job_client(), params=FreelancerSearchParams(page_size=100, **filters)
    )
    return [card.user_id for card in page.items]


def test_one_contract_is_no_score_yet_then_two_clients_give_the_score():
    freelancer = funded_freelancer()
    first = rated_contract(freelancer, recommend=10, paid_cents=30_000)
    score = stored(freelancer)
    assert score.score is None
    assert (score.counted_contracts, score.counted_clients) == (1, 1)
    assert windows(freelancer) == [(6, None), (12, None), (24, None)]
    assert Freelancer.objects.get(user=freelancer).jss_percent is None

    second = rated_contract(freelancer, recommend=7, paid_cents=10_000)  # neutral
    score = stored(freelancer)
    assert score.score == 75  # 300 of 400 dollars positive
    assert windows(freelancer) == [(6, 75), (12, 75), (24, 75)]
    assert Freelancer.objects.get(user=freelancer).jss_percent == 75
    assert set(Profile.objects.filter(freelancer__user=freelancer).values_list("jss_percent")) == {
        (75,)
    }
    # Every change kept with its reason and the contract it was about.
    history = JssChange.objects.filter(freelancer=freelancer).order_by("at", "id")
    assert [(c.old_score, c.new_score, c.reason, c.contract_id) for c in history] == [
        (None, None, JssReason.FEEDBACK_REVEALED, first.pk),
        (None, 75, JssReason.FEEDBACK_REVEALED, second.pk),
    ]
    latest = history.last()
    assert latest is not None
    assert {c["contract_id"]: c["outcome"] for c in latest.counted} == {
        first.pk: "positive",
        second.pk: "neutral",
    }
    assert "recommend" not in str(latest.counted)
    assert OutboxEvent.objects.filter(kind="jss.changed").count() == 2


def test_search_ranks_and_filters_by_the_computed_score():
    scored = funded_freelancer(title="Django developer")
    rated_contract(scored)
    rated_contract(scored)
    newcomer = freelancer_with_profile(title="Django developer").freelancer.user
    assert Freelancer.objects.get(user=scored).jss_percent == 100
    profile = Profile.objects.get(freelancer__user=scored)
    assert profile.search_rank == quality_ranks(ranking_policy_at(clock.now()))[100]
    assert search(text="django", jss_min=90) == [scored.pk]
    assert search(text="django") == [scored.pk, newcomer.pk]  # quality 1.0 before 0.8


def test_a_negative_outcome_lowers_it_and_search_filters_it_out():
    freelancer = funded_freelancer(title="Django developer")
    rated_contract(freelancer, paid_cents=50_000)
    rated_contract(freelancer, paid_cents=50_000, recommend=5)  # negative at 5
    assert stored(freelancer).score == 50
    assert search(text="django", jss_min=60) == []
    assert search(text="django", jss_min=50) == [freelancer.pk]


def test_recomputing_the_same_facts_changes_nothing():
    freelancer = funded_freelancer()
    rated_contract(freelancer)
    rated_contract(freelancer)
    before = changes(freelancer)
    jss_recompute(freelancer_id=freelancer.pk, reason=JssReason.MANUAL)
    jss_recompute(freelancer_id=freelancer.pk, reason=JssReason.MANUAL)
    assert changes(freelancer) == before
    assert stored(freelancer).score == 100


def test_a_repeat_contract_counts_while_active_once_it_paid():
    freelancer = funded_freelancer()
    client = job_client()
    rated_contract(freelancer, client=client, paid_cents=20_000)
    again = running_contract(client=client, freelancer=freelancer, amount_cents=40_000)
    deliver()  # contract.started: a repeat contract, but $0 so far
    assert stored(freelancer).counted_contracts == 1
    release(again)
    deliver()  # payment.made: it paid, so it counts, as positive
    score = stored(freelancer)
    assert (score.counted_contracts, score.counted_clients, score.score) == (2, 1, None)
    last = JssChange.objects.filter(freelancer=freelancer).order_by("at", "id").last()
    assert last is not None
    assert (last.reason, last.contract_id) == (JssReason.PAYMENT_MADE, again.pk)
    assert last.reason_ref["payment_id"] > 0
    rated_contract(freelancer)  # a second client: the minimum is met
    assert stored(freelancer).score == 100


ENDED = datetime(2025, 1, 31, 10, tzinfo=UTC)


def test_ageing_out_of_a_window_with_a_frozen_clock_is_safe_to_run_twice():
    freelancer = funded_freelancer()
    with time_machine.travel(ENDED, tick=False):
        bad = rated_contract(freelancer, recommend=0)
    with time_machine.travel(ENDED + timedelta(days=30), tick=False):
        rated_contract(freelancer)
        rated_contract(freelancer)
    assert stored(freelancer).score == 67
    edge = add_months(ENDED, 6)
    assert edge == datetime(2025, 7, 31, 10, tzinfo=UTC)
    assert stored(freelancer).next_change_at == edge
    with time_machine.travel(edge - timedelta(seconds=1), tick=False):
        assert jss_ageing_run_due(now=clock.now()) == 0
    with time_machine.travel(edge, tick=False):
        assert jss_ageing_daily.call_local() == 1  # the periodic task, as the worker runs it
        assert jss_ageing_run_due(now=clock.now()) == 0
    assert windows(freelancer) == [(6, 100), (12, 67), (24, 67)]
    assert stored(freelancer).score == 100
    last = JssChange.objects.filter(freelancer=freelancer).order_by("at", "id").last()
    assert last is not None
    assert (last.old_score, last.new_score, last.reason, last.at) == (
        67,
        100,
        JssReason.AGEING,
        edge,
    )
    moved = next(c for c in last.counted if c["contract_id"] == bad.pk)
    assert moved["windows"] == [12, 24]
    # Two years on, every contract has aged out: no score yet again.
    with time_machine.travel(datetime(2027, 4, 1, tzinfo=UTC), tick=False):
        out = StringIO()
        call_command("jss_run_due", stdout=out)
        assert "1 for contracts ageing" in out.getvalue()
    assert stored(freelancer).score is None
    assert Freelancer.objects.get(user=freelancer).jss_percent is None


def test_a_running_contract_counts_from_its_90th_day():
    freelancer = funded_freelancer()
    start = datetime(2025, 3, 1, 9, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        rated_contract(freelancer)
        contract = running_contract(freelancer=freelancer, amount_cents=60_000)
        release(contract)
        deliver()
    assert stored(freelancer).score is None
    with time_machine.travel(contract.started_at + timedelta(days=90), tick=False):
        assert jss_ageing_run_due(now=clock.now()) == 1
    assert stored(freelancer).score == 100


def test_contracts_from_before_the_score_are_computed_once_by_the_backfill_command():
    freelancer = funded_freelancer()
    rated_contract(freelancer)
    rated_contract(freelancer)
    JssScore.objects.all().delete()
    # The daily rule reads only its index: a freelancer without a score is not its business.
    assert jss_ageing_run_due(now=clock.now()) == 0
    assert not JssScore.objects.exists()
    out = StringIO()
    call_command("jss_backfill", stdout=out)
    assert out.getvalue().startswith("1 score(s) computed for the first time.")
    assert stored(freelancer).score == 100
    assert jss_backfill(now=clock.now()) == 0


def test_a_new_policy_version_recomputes_every_score_once():
    freelancer = funded_freelancer()
    rated_contract(freelancer, paid_cents=50_000)
    rated_contract(freelancer, paid_cents=50_000, recommend=0)
    assert stored(freelancer).score == 50
    effective = clock.now() + timedelta(hours=1)
    version = policy_add(
        kind=PolicyKind.JSS,
        label="penalty",
        effective_from=effective,
        params={**JSS_DEFAULTS, "negative_penalty": "0.5"},
    )
    assert jss_policy_run_due(now=clock.now()) == 0  # not in force yet
    with time_machine.travel(effective, tick=False):
        assert jss_policy_periodic.call_local() == 1
        assert jss_policy_run_due(now=clock.now()) == 0
    score = stored(freelancer)
    assert (score.score, score.policy_id) == (25, version.pk)
    last = JssChange.objects.filter(freelancer=freelancer).order_by("at", "id").last()
    assert last is not None
    assert (last.reason, last.reason_ref, last.policy_id) == (
        JssReason.POLICY,
        {"policy_id": version.pk},
        version.pk,
    )


def test_operators_read_scores_and_recompute_them_from_the_console(client):
    freelancer = funded_freelancer()
    rated_contract(freelancer)
    rated_contract(freelancer)
    JssScore.objects.filter(freelancer=freelancer).update(score=None)  # as if stale
    operator = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(operator)
    listing = client.get("/admin/reputation/jssscore/")
    assert listing.status_code == 200
    assert client.get("/admin/reputation/jsschange/").status_code == 200
    response = client.post(
        "/admin/reputation/jssscore/",
        {"action": "recompute", "_selected_action": [stored(freelancer).pk]},
    )
    assert response.status_code == 302
    assert stored(freelancer).score == 100
    assert Freelancer.objects.get(user=freelancer).jss_percent == 100
    entry = AuditLogEntry.objects.get(action="jss.recomputed")
    assert (entry.actor_id, entry.target_type, entry.target_id) == (
        operator.pk,
        "JssScore",
        str(stored(freelancer).pk),
    )
    assert entry.detail == {"freelancer_id": freelancer.pk, "old_score": None, "new_score": 100}
