"""The stored quality rank (`Profile.search_rank`) that search without text orders by: it
orders and ties exactly like the ranking policy's quality, and a new policy version changes
no result, before or after the ranks are recomputed. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openlance.accounts.tests.factories import client_user
from openlance.core import clock
from openlance.core.policies import RankingPolicy, ranking_policy_at
from openlance.core.services import policy_add
from openlance.profiles.models import Profile
from openlance.profiles.search import (
    FreelancerSearchParams,
    _quality,
    quality_ranks,
    ranking_version_at,
    search_freelancer_cards,
)
from openlance.profiles.services import (
    profile_search_fields_sync,
    profile_search_ranks_run_due,
)
from openlance.profiles.tests.factories import freelancer_with_profile

T0 = datetime(2031, 3, 1, 12, tzinfo=UTC)
JSS_VALUES = (None, *range(101))


def _policy(**changes: object) -> RankingPolicy:
    return RankingPolicy.model_validate({**RankingPolicy().model_dump(), **changes})


factors = st.decimals(min_value=0, max_value=1, places=3)


@given(base=factors, share=factors, without=factors)
def test_ranks_order_and_tie_exactly_like_the_quality(base, share, without):
    policy = _policy(quality_base=base, quality_jss_share=share, quality_without_score=without)
    ranks = quality_ranks(policy)
    for a in JSS_VALUES:
        for b in JSS_VALUES:
            qa, qb = _quality(policy, a), _quality(policy, b)
            assert (ranks[a] < ranks[b]) == (qa < qb)
            assert (ranks[a] == ranks[b]) == (qa == qb)


def test_a_score_and_no_score_of_equal_quality_share_a_rank():
    # 0.6 + 0.4 x 50/100 is exactly 0.8 in floating point, like "no score yet".
    ranks = quality_ranks(_policy())
    assert ranks[50] == ranks[None]
    assert ranks[49] < ranks[None] < ranks[51]
    flat = quality_ranks(
        _policy(quality_jss_share=Decimal(0), quality_without_score=Decimal("0.6"))
    )
    assert set(flat.values()) == {1}


def _page(**filters) -> tuple[int, list[str]]:
    params = FreelancerSearchParams(**{"page_size": 100, **filters})
    page = search_freelancer_cards(viewer=client_user(), params=params)
    return page.total, [card.title for card in page.items]


def _order(**filters) -> list[str]:
    return _page(**filters)[1]


def _stored_versions() -> set[int | None]:
    return set(Profile.objects.values_list("search_rank_policy", flat=True))


@pytest.mark.django_db
def test_stored_ranks_and_the_policy_expression_give_the_same_results():
    rng = random.Random(7)
    with clock.frozen_at(T0):
        for n in range(40):
            jss = rng.choice([None, None, 50, 45, 90, 100, rng.randint(0, 100)])
            freelancer_with_profile(
                title=f"p{n} jss{jss}",
                jss_percent=jss,
                hourly_rate_cents=rng.choice([None, 2_000, 6_000]),
                # Many equal creation times: ties go to the higher id on both paths.
                created_at=T0 - timedelta(minutes=rng.randint(0, 5)),
            )
        version, _ = ranking_version_at(clock.now())
        assert _stored_versions() == {version}
        cases = [{}, {"rate_min_cents": 3_000}, {"jss_min": 50}, {"page_size": 7, "page": 3}]
        by_rank = [_page(**case) for case in cases]
        Profile.objects.update(search_rank_policy=None)  # every rank stale: the expression
        by_expression = [_page(**case) for case in cases]
    assert by_rank == by_expression
    assert by_rank[0][0] == len(by_rank[0][1]) == 40
    assert (by_rank[3][0], len(by_rank[3][1])) == (40, 7)


@pytest.mark.django_db
def test_a_new_ranking_policy_changes_the_order_at_its_time_whether_or_not_ranks_are_fresh():
    with clock.frozen_at(T0):
        for n, jss in enumerate([None, 95, 45, 70, None]):
            freelancer_with_profile(
                title=f"n{n} jss{jss}", jss_percent=jss, created_at=T0 + timedelta(minutes=n)
            )
        v1, _ = ranking_version_at(clock.now())
        # Quality 0.98, 0.88, 0.8 (no score, newest first), 0.78.
        before = ["n1 jss95", "n3 jss70", "n4 jssNone", "n0 jssNone", "n2 jss45"]
        assert _order() == before
        params = ranking_policy_at(clock.now()).model_dump(mode="json")
        v2 = policy_add(
            kind="ranking",
            label="newcomers lower",
            effective_from=T0 + timedelta(days=1),
            params={**params, "quality_without_score": "0.5"},
        )
        assert _order() == before  # not in force yet

    after = ["n1 jss95", "n3 jss70", "n2 jss45", "n4 jssNone", "n0 jssNone"]
    with clock.frozen_at(T0 + timedelta(days=1)):
        # In force, nothing recomputed yet: the stored ranks are v1's, search sees it and
        # orders by the new policy's expression.
        assert _stored_versions() == {v1}
        assert _order() == after
        # One freelancer's profile is resynced under v2 meanwhile: mixed versions, still right.
        n0 = Profile.objects.get(title="n0 jssNone").freelancer
        profile_search_fields_sync(freelancer=n0)
        assert _stored_versions() == {v1, v2.pk}
        assert _order() == after

        assert profile_search_ranks_run_due(now=clock.now()) == 4
        assert profile_search_ranks_run_due(now=clock.now()) == 0  # safe to run twice
        assert _stored_versions() == {v2.pk}
        assert _order() == after
        assert _order(jss_min=50) == ["n1 jss95", "n3 jss70"]


@pytest.mark.django_db
def test_run_due_fills_ranks_never_computed():
    with clock.frozen_at(T0):
        freelancer_with_profile(title="a", jss_percent=80)
        Profile.objects.update(search_rank=0, search_rank_policy=None)
        assert profile_search_ranks_run_due(now=clock.now()) == 1
        version, policy = ranking_version_at(clock.now())
        profile = Profile.objects.get()
        assert (profile.search_rank, profile.search_rank_policy) == (
            quality_ranks(policy)[80],
            version,
        )
