"""On SQLite a text search reads the FTS5 matches first and the matching rows by key. Given
a comma join, SQLite's planner was free to walk the listing index instead and run the MATCH
once per open post (on a database without ANALYZE statistics, such as a fresh `make run`,
it did: 13 ms for 457 posts where 0.2 ms will do)."""

import pytest
from django.db import connection

from openlance.catalog.models import Skill
from openlance.catalog.selectors import skill_tags_of
from openlance.core.tasks import database_statistics_periodic
from openlance.jobs.models import JobPost, JobState, JobVisibility
from openlance.jobs.tests.factories import job_post
from openlance.search.index import JOBS, FieldWeights, text_match
from openlance.search.text import parse_query

pytestmark = pytest.mark.django_db

WEIGHTS = FieldWeights(title=3, skills=2, body=1)


def _loops(queryset):
    """The plan's steps, outermost first."""
    sql, params = queryset.values("pk", "relevance").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return [row[-1] for row in cursor.fetchall()]


def test_the_text_index_drives():
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL reads the GIN index's matches with their rows in one scan")
    for n in range(20):
        job_post(title=f"Copywriting job {n}" if n % 5 == 0 else f"Logo {n}")
    open_posts = JobPost.objects.filter(state=JobState.OPEN, visibility=JobVisibility.PUBLIC)
    matched = text_match(
        open_posts, index_name=JOBS, query=parse_query("copywriting"), weights=WEIGHTS
    )
    assert matched.count() == 4
    loops = _loops(matched)
    assert loops[0].startswith("SCAN search_index_job VIRTUAL TABLE"), loops
    # The MATCH alone ("M"), not a rowid lookup plus the MATCH ("=M") per outer row.
    assert ":M" in loops[0], loops


def test_a_pages_skills_are_sought_by_its_posts():
    """Ordered by name alone, SQLite walked the whole catalog in name order and probed each
    skill's links to the page's posts (113 µs for ten posts among 118 skills, against 29)."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL plans its own join")
    skills = list(Skill.objects.order_by("-name")[:4])
    posts = [job_post(skills=skills[n % 3 :]) for n in range(6)]
    # Links to spare, as in the demo (three a skill), for the planner to weigh.
    catalog = list(Skill.objects.order_by("pk"))
    for n in range(80):
        job_post(skills=[catalog[(n * 7 + k) % len(catalog)] for k in range(4)])
    assert database_statistics_periodic.call_local() is True
    statements: list[tuple[str, tuple]] = []

    def keep(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    keys = [post.pk for post in posts]
    with connection.execute_wrapper(keep):
        tags = skill_tags_of(JobPost.skills.through, "jobpost_id", keys)
    for n, key in enumerate(keys):
        assert [tag.name for tag in tags[key]] == sorted(skill.name for skill in skills[n % 3 :])
    [(sql, params)] = statements
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = [row[-1] for row in cursor.fetchall()]
    assert not any(step.startswith("SCAN catalog_skill") for step in plan), plan
