"""On SQLite, the talent page as it opens walks the `profile_rank` index in result order and
stops after the page, once the planner has statistics (`core.tasks.database_statistics_periodic`).
Without them SQLite 3.40 guessed that "visibility = public" finds a handful of rows, sought
them all in `profile_search` and sorted them: 150 to 190 ms at 100,000 profiles, against
1.5 ms."""

import pytest
from django.db import connection

from openlance.core.tasks import database_statistics_periodic
from openlance.profiles.models import Profile
from openlance.profiles.search import FreelancerSearchParams, rank_freelancers
from openlance.profiles.tests.factories import freelancer_with_profile

pytestmark = pytest.mark.django_db


def _browse_plan() -> list[str]:
    """The plan's steps of the page statement of the talent page as it opens, signed out."""
    statements: list[tuple[str, tuple]] = []

    def keep(execute, sql, params, many, context):
        if sql.startswith("WITH page"):
            statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        page = rank_freelancers(viewer=None, params=FreelancerSearchParams())
    assert page.total == Profile.objects.count()
    [(sql, params)] = statements
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return [row[-1] for row in cursor.fetchall()]


def test_with_statistics_the_page_is_walked_in_the_ranked_index():
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's autovacuum keeps its statistics; the task does nothing")
    first = freelancer_with_profile(title="First")
    Profile.objects.bulk_create(
        Profile(
            freelancer=first.freelancer,
            is_general=False,
            title=f"Specialized {n}",
            created_at=first.created_at,
            updated_at=first.updated_at,
            search_rank=first.search_rank,
            search_rank_policy=first.search_rank_policy,
        )
        for n in range(300)
    )
    assert database_statistics_periodic.call_local() is True
    walked = _browse_plan()
    page = walked[walked.index("MATERIALIZE page") : walked.index("SCAN counted")]
    assert page[1] == "SCAN profiles_profile USING COVERING INDEX profile_rank", walked
    assert not any("TEMP B-TREE" in step for step in page), walked
