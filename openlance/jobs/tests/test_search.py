"""Job search (SPEC §4.2). The same suite runs on SQLite and on PostgreSQL and must pass
unchanged on both: same matches, same order wherever the order is clear-cut."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection

from openlance.accounts.tests.factories import freelancer_user
from openlance.catalog.models import Category, Skill
from openlance.core import clock
from openlance.core.errors import InvalidInput
from openlance.jobs.models import (
    BudgetType,
    Duration,
    ExperienceLevel,
    JobPost,
    JobState,
    JobVisibility,
)
from openlance.jobs.search import (
    JobSearchParams,
    JobSort,
    job_index_delete,
    job_index_rebuild,
    job_index_sync,
    search_jobs,
)
from openlance.jobs.tests.factories import job_client, job_post

pytestmark = pytest.mark.django_db

T0 = datetime(2024, 3, 1, 12, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def titles(text: str = "", viewer=None, **filters) -> list[str]:
    params = JobSearchParams(text=text, page_size=100, **filters)
    page = search_jobs(viewer=viewer or freelancer_user(), params=params)
    return [hit.job.title for hit in page.items]


# --- text matching and ranking ---------------------------------------------------------


def test_title_outranks_skills_outranks_description():
    for n, (title, skill, description) in enumerate(
        [
            ("Fix my site", "PHP", "The Shopify theme breaks on mobile screens"),
            ("Shopify theme fix", "PHP", "The theme breaks on small mobile screens"),
            ("Fix my site", "Shopify", "The theme breaks on small mobile screens"),
        ]
    ):
        job_post(title=title, skills=[skill], description=description, published_at=at(n))
    for n in range(3):
        job_post(title="Logo design", description="A mark for a bakery", published_at=at(5 + n))

    hits = search_jobs(viewer=freelancer_user(), params=JobSearchParams(text="shopify")).items

    assert [(hit.job.title, [s.name for s in hit.skills]) for hit in hits] == [
        ("Shopify theme fix", ["PHP"]),
        ("Fix my site", ["Shopify"]),
        ("Fix my site", ["PHP"]),
    ]
    assert hits[0].relevance > hits[1].relevance > hits[2].relevance > 0


def test_sort_by_newest_ignores_relevance_and_no_text_means_newest():
    job_post(title="Shopify expert needed", published_at=at(0))
    job_post(title="Store fix", description="Our Shopify store", published_at=at(1))
    job_post(title="Unrelated", published_at=at(2))

    assert titles("shopify") == ["Shopify expert needed", "Store fix"]
    assert titles("shopify", sort=JobSort.NEWEST) == ["Store fix", "Shopify expert needed"]
    assert titles() == ["Unrelated", "Store fix", "Shopify expert needed"]


@pytest.mark.parametrize("text", ["shopify", ""])
def test_counting_stops_at_the_limit_and_so_do_the_pages(text, monkeypatch):
    monkeypatch.setattr("openlance.search.pages.COUNT_LIMIT", 3)
    for n in range(5):
        job_post(title=f"Shopify task {n}", published_at=at(n))
    viewer = freelancer_user()

    def page(number: int):
        params = JobSearchParams(text=text, sort=JobSort.NEWEST, page=number, page_size=2)
        return search_jobs(viewer=viewer, params=params)

    first, second, third = page(1), page(2), page(3)

    assert (first.total, first.total_exact, first.total_label) == (3, False, "3+")
    assert [hit.job.title for hit in first.items] == ["Shopify task 4", "Shopify task 3"]
    assert [hit.job.title for hit in second.items] == ["Shopify task 2"]
    assert (third.items, third.total) == ([], 3)


def test_stemming_and_stop_words():
    job_post(title="Writer for the blog", description="Writing weekly articles")

    assert titles("written the articles") == []  # "written" does not stem to "write"
    assert titles("writing article") == ["Writer for the blog"]
    assert titles("write of the blogs") == ["Writer for the blog"]


@pytest.mark.parametrize(
    "text",
    ['"', "AND OR NOT", "*", "-", "python -", "NEAR(a b)", "{title}: x", "\x00", "中文", "é" * 500],
)
def test_nasty_input_never_errors(text):
    job_post(title="Python scraper")

    page = search_jobs(viewer=AnonymousUser(), params=JobSearchParams(text=text))

    assert page.total == len(page.items) <= 1


# --- what is never found ----------------------------------------------------------------


def test_only_open_public_posts_are_ever_found():
    job_post(title="Open scraper")
    job_post(title="Invite scraper", visibility=JobVisibility.INVITE_ONLY)
    for state in (
        JobState.DRAFT,
        JobState.CLOSED_HIRED,
        JobState.CLOSED_NO_HIRE,
        JobState.EXPIRED,
        JobState.REMOVED,
    ):
        job_post(title=f"{state} scraper", state=state)

    for viewer in (AnonymousUser(), freelancer_user()):
        assert titles("scraper", viewer=viewer) == ["Open scraper"]
        assert titles(viewer=viewer) == ["Open scraper"]


def test_closing_a_post_removes_it_without_reindexing():
    job = job_post(title="Data entry")
    JobPost.objects.filter(pk=job.pk).update(state=JobState.CLOSED_NO_HIRE)

    assert titles("data") == []


# --- filters -----------------------------------------------------------------------------


def test_category_and_skills_any_of():
    python, django, figma = (Skill.objects.get(name=n) for n in ("Python", "Django", "Figma"))
    job_post(title="Python job", skills=[python])
    job_post(title="Django job", skills=[django])
    job_post(title="Figma job", skills=[figma])

    assert sorted(titles(skill_ids=(python.pk, django.pk))) == ["Django job", "Python job"]
    assert titles(category_ids=(figma.category_id,)) == ["Figma job"]
    other = Category.objects.exclude(pk__in=[python.category_id, figma.category_id]).first()
    assert titles(category_ids=(other.pk,)) == []


def test_budget_type_and_ranges():
    job_post(title="Fixed 300", budget_cents=30_000)
    job_post(title="Fixed 2000", budget_cents=200_000)
    job_post(
        title="Hourly 15-25",
        budget_type=BudgetType.HOURLY,
        hourly_min_cents=1_500,
        hourly_max_cents=2_500,
    )
    job_post(
        title="Hourly 40-80",
        budget_type=BudgetType.HOURLY,
        hourly_min_cents=4_000,
        hourly_max_cents=8_000,
    )

    assert sorted(titles(budget_types=(BudgetType.FIXED,))) == ["Fixed 2000", "Fixed 300"]
    assert titles(budget_types=(BudgetType.FIXED,), fixed_min_cents=100_000) == ["Fixed 2000"]
    assert titles(budget_types=(BudgetType.FIXED,), fixed_max_cents=50_000) == ["Fixed 300"]
    # An hourly range matches posts whose range overlaps it.
    assert titles(budget_types=(BudgetType.HOURLY,), hourly_min_cents=3_000) == ["Hourly 40-80"]
    assert sorted(
        titles(budget_types=(BudgetType.HOURLY,), hourly_min_cents=2_000, hourly_max_cents=5_000)
    ) == ["Hourly 15-25", "Hourly 40-80"]
    assert titles(budget_types=(BudgetType.HOURLY,), hourly_max_cents=1_000) == []
    # Without a type, each range applies to its own kind of post.
    assert sorted(titles(fixed_min_cents=100_000, hourly_min_cents=3_000)) == [
        "Fixed 2000",
        "Hourly 40-80",
    ]


def test_experience_level_and_duration():
    job_post(title="Entry short", experience_level=ExperienceLevel.ENTRY)
    job_post(
        title="Expert long",
        experience_level=ExperienceLevel.EXPERT,
        duration=Duration.MORE_THAN_6_MONTHS,
    )

    assert titles(experience_levels=(ExperienceLevel.EXPERT,)) == ["Expert long"]
    assert titles(durations=(Duration.LESS_THAN_1_MONTH,)) == ["Entry short"]
    assert len(titles(experience_levels=(ExperienceLevel.ENTRY, ExperienceLevel.EXPERT))) == 2


def test_client_country_payment_verified_and_spent():
    job_post(
        title="US verified big",
        client=job_client(country="US", payment_method_verified=True, total_spent_cents=10**7),
    )
    job_post(title="US unverified", client=job_client(country="US"))
    job_post(
        title="FR verified",
        client=job_client(country="FR", payment_method_verified=True, total_spent_cents=5_000),
    )

    assert sorted(titles(client_countries=("US",))) == ["US unverified", "US verified big"]
    assert sorted(titles(client_payment_verified=True)) == ["FR verified", "US verified big"]
    assert titles(client_spent_min_cents=100_000) == ["US verified big"]
    assert titles(client_countries=("fr",), client_payment_verified=True) == ["FR verified"]


def test_posted_within_days():
    now = datetime(2024, 6, 10, tzinfo=UTC)
    job_post(title="Two days old", published_at=now - timedelta(days=2))
    job_post(title="Ten days old", published_at=now - timedelta(days=10))

    with clock.frozen_at(now):
        assert titles(posted_within_days=3) == ["Two days old"]
        assert len(titles(posted_within_days=14)) == 2


def test_number_of_proposals_buckets():
    for count in (0, 4, 5, 12, 20, 49, 50, 300):
        job_post(title=f"{count} proposals", proposals_count=count)

    assert sorted(titles(proposals=("0-4",))) == ["0 proposals", "4 proposals"]
    assert sorted(titles(proposals=("5-9", "10-14"))) == ["12 proposals", "5 proposals"]
    assert sorted(titles(proposals=("20-49",))) == ["20 proposals", "49 proposals"]
    assert sorted(titles(proposals=("50+",))) == ["300 proposals", "50 proposals"]
    assert titles(proposals=("15-19",)) == []


def test_filters_combine_with_text():
    job_post(title="Python API", experience_level=ExperienceLevel.EXPERT)
    job_post(title="Python API", experience_level=ExperienceLevel.ENTRY)
    job_post(title="Go API", experience_level=ExperienceLevel.EXPERT)

    hits = search_jobs(
        viewer=freelancer_user(),
        params=JobSearchParams(text="python api", experience_levels=(ExperienceLevel.EXPERT,)),
    ).items
    assert [(h.job.title, h.job.experience_level) for h in hits] == [("Python API", "expert")]


@pytest.mark.parametrize(
    "filters",
    [
        {"budget_types": ("barter",)},
        {"proposals": ("5-10",)},
        {"posted_within_days": 0},
        {"fixed_min_cents": -5},
        {"client_countries": ("United States",)},
        {"sort": "cheapest"},
        {"page_size": 0},
    ],
)
def test_invalid_filters_are_a_clear_error(filters):
    with pytest.raises(InvalidInput):
        JobSearchParams(**filters)


# --- rendering ---------------------------------------------------------------------------


def test_location_restriction_is_flagged_for_the_viewer():
    job_post(title="US only", countries=["US"], published_at=at(1))
    job_post(title="Anywhere", published_at=at(0))
    american = freelancer_user(verified_country="US")
    german = freelancer_user(verified_country="DE")

    def flags(viewer):
        page = search_jobs(viewer=viewer, params=JobSearchParams())
        return [(hit.job.title, hit.location_ok) for hit in page.items]

    assert flags(american) == [("US only", True), ("Anywhere", True)]
    assert flags(german) == [("US only", False), ("Anywhere", True)]
    assert flags(AnonymousUser()) == [("US only", False), ("Anywhere", True)]


def test_a_page_renders_without_more_queries_per_hit(django_assert_max_num_queries):
    for n in range(12):
        job_post(
            title=f"Python task {n}",
            description="word " * 400,
            skills=["Python", "Django"],
            client=job_client(country="US"),
        )
    viewer = freelancer_user()

    # policy, the ranking (it counts too), the page's rows, their skills
    with django_assert_max_num_queries(4):
        page = search_jobs(viewer=viewer, params=JobSearchParams(text="python"))
        rendered = [
            (
                hit.job.client_country,
                hit.job.category_name,
                hit.teaser,
                [s.name for s in hit.skills],
            )
            for hit in page.items
        ]
    assert len(rendered) == 12
    assert rendered[0][0] == "US"
    assert rendered[0][3] == ["Django", "Python"]
    assert len(rendered[0][2]) <= 251
    assert rendered[0][2].endswith("…")


# --- index sync -------------------------------------------------------------------------


def test_index_follows_updates_and_deletes():
    job = job_post(title="Translate a menu", description="From French")
    assert titles("french") == ["Translate a menu"]

    job.description = "From Spanish"
    job.save()
    job_index_sync(job=job)
    assert titles("french") == []
    assert titles("spanish") == ["Translate a menu"]

    job_index_delete(job_id=job.pk)
    assert titles("translate") == []


def test_rebuild_indexes_rows_written_in_bulk():
    job = job_post(title="Placeholder")
    JobPost.objects.filter(pk=job.pk).update(title="Podcast editing")

    assert titles("podcast") == []
    job_index_rebuild()
    assert titles("podcast") == ["Podcast editing"]


# --- one compiled statement a shape -------------------------------------------------------


class Statements:
    """The ranking SQL sent to the database, as written (placeholders, not values)."""

    def __init__(self) -> None:
        self.rankings: list[str] = []

    def __call__(self, execute, sql, params, many, context):
        if sql.startswith(("WITH matches", "WITH page")):
            self.rankings.append(sql)
        return execute(sql, params, many, context)


def test_searches_of_one_shape_run_one_statement_each_finding_its_own_text():
    """The text is a parameter of the ranking statement, so every text under the same
    filters runs the same compiled SQL, and still finds its own posts; other filters are
    another statement; a page past the end still counts."""
    job_post(title="Shopify store fix", published_at=at(1))
    job_post(title="Django API", published_at=at(2), budget_type=BudgetType.HOURLY)
    job_post(title="Django and Shopify", published_at=at(3))
    statements = Statements()
    with connection.execute_wrapper(statements):
        assert sorted(titles("shopify")) == ["Django and Shopify", "Shopify store fix"]
        assert sorted(titles("django")) == ["Django API", "Django and Shopify"]
        assert titles("django shopify") == ["Django and Shopify"]
        assert titles("nothing") == []
        assert len(set(statements.rankings)) == 1
        assert titles("django", budget_types=(BudgetType.HOURLY,)) == ["Django API"]
        assert len(set(statements.rankings)) == 2
        past = search_jobs(
            viewer=freelancer_user(), params=JobSearchParams(text="django", page=9, page_size=1)
        )
        assert (past.items, past.total, past.total_exact) == ([], 2, True)


def test_searches_without_text_run_one_statement_a_shape_and_posted_within_reads_each_time(
    walk_compilations,
):
    """Browsing is one statement too (the page and the capped count), compiled once for
    its filters: "posted within" is compared with the cut-off of each search (its days and
    the time), not the one the statement was compiled with, and a page past the end still
    counts."""
    now = datetime(2024, 6, 10, tzinfo=UTC)
    job_post(title="Two days old", published_at=now - timedelta(days=2))
    job_post(title="Five days old", published_at=now - timedelta(days=5))
    job_post(title="Ten days old", published_at=now - timedelta(days=10))
    compiled = walk_compilations
    statements = Statements()
    with connection.execute_wrapper(statements):
        with clock.frozen_at(now):
            assert titles(posted_within_days=7) == ["Two days old", "Five days old"]
            assert titles(posted_within_days=3) == ["Two days old"]
        with clock.frozen_at(now + timedelta(days=4)):
            assert titles(posted_within_days=7) == ["Two days old"]
        with clock.frozen_at(now + timedelta(days=6)):
            assert titles(posted_within_days=7) == []
        assert (len(compiled), len(statements.rankings), len(set(statements.rankings))) == (
            1,
            4,
            1,
        )
        with clock.frozen_at(now):
            assert titles() == ["Two days old", "Five days old", "Ten days old"]
            past = search_jobs(
                viewer=freelancer_user(), params=JobSearchParams(page=7, page_size=1)
            )
        assert (past.items, past.total, past.total_exact) == ([], 3, True)
        assert (len(compiled), len(statements.rankings), len(set(statements.rankings))) == (
            2,
            6,
            2,
        )
