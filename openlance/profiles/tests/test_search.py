"""Freelancer search (SPEC §4.1). The same suite runs on SQLite and on PostgreSQL and must
pass unchanged on both: same matches, same order wherever the order is clear-cut."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction

from openlance.accounts.services import user_set_roles
from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.catalog.selectors import SkillTag
from openlance.core import clock
from openlance.core.errors import InvalidInput, NotFound
from openlance.core.services import outbox_drain
from openlance.profiles.models import Availability, EnglishLevel, Freelancer, Profile, Visibility
from openlance.profiles.search import (
    FreelancerCard,
    FreelancerSearchParams,
    explain_rank,
    profile_index_delete,
    profile_index_rebuild,
    profile_index_sync,
    rank_freelancers,
    search_freelancer_cards,
)
from openlance.profiles.tests.factories import (
    freelancer_with_profile,
    skills_named,
    specialized_profile,
)

pytestmark = pytest.mark.django_db

T0 = datetime(2024, 3, 1, 12, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def found(text: str = "", viewer=None, **filters) -> list[FreelancerCard]:
    params = FreelancerSearchParams(text=text, page_size=100, **filters)
    page = search_freelancer_cards(viewer=viewer or client_user(), params=params)
    return page.items


def titles(text: str = "", viewer=None, **filters) -> list[str]:
    return [card.title for card in found(text, viewer, **filters)]


# --- text matching and ranking ---------------------------------------------------------


def test_title_outranks_skills_outranks_overview():
    # Same length documents; only where "wordpress" sits differs.
    for n, (title, skill, overview) in enumerate(
        [
            ("Web expert", "PHP", "I build WordPress sites for small businesses"),
            ("WordPress expert", "PHP", "I build sites for small businesses quickly"),
            ("Web expert", "WordPress", "I build sites for small businesses quickly"),
        ]
    ):
        freelancer_with_profile(title=title, skills=[skill], overview=overview, created_at=at(n))
    for n in range(3):
        freelancer_with_profile(title="Logo designer", overview="Brand marks", created_at=at(9 + n))

    hits = search_freelancer_cards(
        viewer=client_user(), params=FreelancerSearchParams(text="wordpress")
    ).items

    assert [(hit.title, [s.name for s in hit.skills]) for hit in hits] == [
        ("WordPress expert", ["PHP"]),
        ("Web expert", ["WordPress"]),
        ("Web expert", ["PHP"]),
    ]
    assert hits[0].relevance > hits[1].relevance > hits[2].relevance > 0
    assert all(hit.relevance < 1 and hit.quality == 0.8 for hit in hits)


def test_all_terms_must_match_anywhere_in_the_profile():
    freelancer_with_profile(title="Python developer", overview="Django and PostgreSQL")
    freelancer_with_profile(title="Python developer", overview="Data pipelines")

    assert titles("python django") == ["Python developer"]
    assert titles("python postgresql django") == ["Python developer"]
    assert titles("python rust") == []


def test_stemming_finds_other_forms_of_a_word():
    freelancer_with_profile(title="Copywriter", overview="I write blog posts that sell.")

    assert titles("writing") == ["Copywriter"]
    assert titles("blogs") == ["Copywriter"]
    assert titles("WRITES selling") == ["Copywriter"]


def test_stop_words_are_ignored_the_same_way_everywhere():
    freelancer_with_profile(title="The best of Python", overview="And nothing else")
    freelancer_with_profile(title="Go developer", overview="Services")

    assert titles("python") == titles("the python of and") == ["The best of Python"]
    # A query of stop words alone is no text filter at all.
    assert (
        sorted(titles("the of and")) == sorted(titles("")) == ["Go developer", "The best of Python"]
    )


def test_accented_and_unaccented_spellings_match():
    freelancer_with_profile(title="Café menu designer")

    assert titles("cafe") == titles("café") == titles("CAFÉ") == ["Café menu designer"]


@pytest.mark.parametrize(
    "text",
    [
        '"',
        "'",
        '"unclosed phrase',
        "python AND OR NOT",
        "NOT",
        "*",
        "python*",
        "-python",
        "python -django",
        "NEAR(python django, 2)",
        "{title}: python",
        "title:python",
        "^python",
        "()",
        "'; DROP TABLE profiles_profile; --",
        "\\",
        "%_%",
        "\x00python\x00",
        "💥🔥 python",
        "中文 日本語",
        "Ünïcödé",
        "a" * 500,
        "python " * 72,
        "x" * 499 + " python",
    ],
)
def test_nasty_input_never_errors(text):
    freelancer_with_profile(title="Python developer")

    page = search_freelancer_cards(viewer=AnonymousUser(), params=FreelancerSearchParams(text=text))

    assert page.total == len(page.items) <= 1


def test_general_and_specialized_profiles_are_both_searched():
    general = freelancer_with_profile(title="Full-stack developer", overview="Python and React")
    specialized_profile(general.freelancer, title="React Native apps", overview="Mobile apps")

    assert sorted(titles("react")) == ["Full-stack developer", "React Native apps"]
    assert titles("mobile") == ["React Native apps"]


# --- quality factor ----------------------------------------------------------------------


def test_quality_factor_orders_equal_text_by_jss_and_does_not_bury_newcomers():
    for n, jss in enumerate([40, None, 100, 90]):
        freelancer_with_profile(
            title=f"Python developer {jss}", overview="Web apps", jss_percent=jss, created_at=at(n)
        )

    hits = search_freelancer_cards(
        viewer=client_user(), params=FreelancerSearchParams(text="python developer")
    ).items

    # 1.0, 0.96, 0.8 (no score), 0.76: relevance is equal, quality decides.
    assert [hit.jss_percent for hit in hits] == [100, 90, None, 40]
    assert [round(hit.quality, 4) for hit in hits] == [1.0, 0.96, 0.8, 0.76]
    assert all(hit.score == pytest.approx(hit.relevance * hit.quality) for hit in hits)


def test_without_text_results_are_ordered_by_quality_then_newest():
    for n, jss in enumerate([None, 95, None, 45]):
        freelancer_with_profile(title=f"n{n} jss{jss}", jss_percent=jss, created_at=at(n))

    hits = search_freelancer_cards(viewer=client_user(), params=FreelancerSearchParams()).items

    assert [hit.title for hit in hits] == [
        "n1 jss95",
        "n2 jssNone",
        "n0 jssNone",
        "n3 jss45",
    ]
    assert all(hit.relevance is None and hit.score == hit.quality for hit in hits)


def test_relevance_still_beats_a_small_quality_difference():
    freelancer_with_profile(title="Shopify store setup", jss_percent=80, created_at=at(0))
    freelancer_with_profile(
        title="Store setup",
        skills=["PHP"],
        overview="Also Shopify.",
        jss_percent=100,
        created_at=at(1),
    )

    assert titles("shopify") == ["Shopify store setup", "Store setup"]


# --- filters -----------------------------------------------------------------------------


def test_country_filter_uses_the_verified_location_only():
    freelancer_with_profile(title="Verified US", verified_country="US")
    freelancer_with_profile(title="Declared US", country="US")
    freelancer_with_profile(title="Verified CA", verified_country="CA")

    assert titles(countries=("US",)) == ["Verified US"]
    assert titles(countries=("us",)) == ["Verified US"]
    assert sorted(titles(countries=("US", "CA"))) == ["Verified CA", "Verified US"]


def test_hourly_rate_range_excludes_profiles_without_a_rate():
    for rate in (2_000, 5_000, 9_000, None):
        freelancer_with_profile(title=f"rate {rate}", hourly_rate_cents=rate)

    assert sorted(titles(rate_min_cents=5_000)) == ["rate 5000", "rate 9000"]
    assert titles(rate_min_cents=3_000, rate_max_cents=6_000) == ["rate 5000"]
    assert sorted(titles(rate_max_cents=5_000)) == ["rate 2000", "rate 5000"]


def test_minimum_jss_excludes_freelancers_without_a_score():
    for jss in (70, 90, None):
        freelancer_with_profile(title=f"jss {jss}", jss_percent=jss)

    assert titles(jss_min=80) == ["jss 90"]
    assert titles(jss_min=0) == ["jss 90", "jss 70"]


def test_minimum_total_earned():
    for earned in (0, 100_000, 1_000_000):
        freelancer_with_profile(title=f"earned {earned}", total_earned_cents=earned)

    assert sorted(titles(earned_min_cents=100_000)) == ["earned 100000", "earned 1000000"]


def test_badges_must_all_be_held():
    freelancer_with_profile(title="Both", badges=["top_rated", "rising_talent"])
    freelancer_with_profile(title="Top rated", badges=["top_rated"])
    freelancer_with_profile(title="Almost", badges=["top_rated_plus"])
    freelancer_with_profile(title="None")

    assert sorted(titles(badges=("top_rated",))) == ["Both", "Top rated"]
    assert titles(badges=("top_rated", "rising_talent")) == ["Both"]
    assert titles(badges=("expert_vetted",)) == []


def test_availability_and_available_now():
    freelancer_with_profile(title="Full now", availability=Availability.FULL_TIME)
    freelancer_with_profile(
        title="Full later", availability=Availability.FULL_TIME, available_now=False
    )
    freelancer_with_profile(title="Part now", availability=Availability.PART_TIME)

    assert sorted(titles(availability=(Availability.FULL_TIME,))) == ["Full later", "Full now"]
    assert titles(availability=(Availability.FULL_TIME,), available_now=True) == ["Full now"]


def test_english_level_at_least():
    for level in (EnglishLevel.BASIC, EnglishLevel.FLUENT, EnglishLevel.NATIVE, ""):
        freelancer_with_profile(title=f"english {level or 'unset'}", english_level=level)

    assert sorted(titles(english_min=EnglishLevel.FLUENT)) == ["english fluent", "english native"]
    assert len(titles(english_min=EnglishLevel.BASIC)) == 3


def test_skills_must_all_be_on_the_profile():
    python, django = skills_named(["Python", "Django"])
    freelancer_with_profile(title="Both", skills=[python, django])
    freelancer_with_profile(title="Python only", skills=[python])

    assert sorted(titles(skill_ids=(python.pk,))) == ["Both", "Python only"]
    assert titles(skill_ids=(python.pk, django.pk)) == ["Both"]


def test_filters_combine_with_text():
    freelancer_with_profile(title="Python developer", verified_country="US", jss_percent=95)
    freelancer_with_profile(title="Python developer", verified_country="US", jss_percent=60)
    freelancer_with_profile(title="Python developer", verified_country="DE", jss_percent=99)

    hits = found("python", countries=("US",), jss_min=90)
    # A card's country is the verified one when its location is verified.
    assert [(card.country, card.location_verified, card.jss_percent) for card in hits] == [
        ("US", True, 95)
    ]


@pytest.mark.parametrize(
    "filters",
    [
        {"jss_min": 101},
        {"rate_min_cents": -1},
        {"availability": ("sometimes",)},
        {"english_min": "klingon"},
        {"countries": ("USA",)},
        {"page": 0},
        {"page_size": 101},
    ],
)
def test_invalid_filters_are_a_clear_error(filters):
    with pytest.raises(InvalidInput):
        FreelancerSearchParams(**filters)


# --- visibility --------------------------------------------------------------------------


def test_private_never_members_only_for_signed_in_public_for_all():
    freelancer_with_profile(title="Public coder", visibility=Visibility.PUBLIC)
    freelancer_with_profile(title="Members coder", visibility=Visibility.MEMBERS)
    private = freelancer_with_profile(title="Private coder", visibility=Visibility.PRIVATE)

    assert titles("coder", viewer=AnonymousUser()) == ["Public coder"]
    assert sorted(titles("coder", viewer=client_user())) == ["Members coder", "Public coder"]
    assert sorted(titles(viewer=client_user())) == ["Members coder", "Public coder"]
    # Browsing signed out after signed in: the viewer's kind is part of the statement's shape.
    assert titles(viewer=AnonymousUser()) == ["Public coder"]
    # Not even its owner finds a private profile by searching.
    assert "Private coder" not in titles("coder", viewer=private.freelancer.user)


def test_deactivated_accounts_are_not_found():
    profile = freelancer_with_profile(title="Gone coder")
    profile.freelancer.user.is_active = False
    profile.freelancer.user.save(update_fields=["is_active"])

    assert titles("coder") == []


def test_profiles_of_someone_who_gave_up_the_freelancer_role_are_not_found():
    profile = freelancer_with_profile(title="Retired coder", visibility=Visibility.MEMBERS)
    freelancer = profile.freelancer
    user = freelancer.user
    user_set_roles(user=user, freelancer=False, client=True)
    outbox_drain(now=clock.now())
    assert titles("coder") == []
    assert Freelancer.objects.get(pk=freelancer.pk).visibility == Visibility.MEMBERS

    user_set_roles(user=user, freelancer=True, client=True)
    outbox_drain(now=clock.now())
    assert titles("coder") == ["Retired coder"]


# --- pagination and rendering --------------------------------------------------------------


def test_pages_split_the_ordered_results():
    for n in range(5):
        freelancer_with_profile(title=f"Designer {n}", created_at=at(n))
    viewer = client_user()

    pages = [
        search_freelancer_cards(
            viewer=viewer, params=FreelancerSearchParams(text="designer", page=p, page_size=2)
        )
        for p in (1, 2, 3, 4)
    ]

    assert [[card.title for card in page.items] for page in pages] == [
        ["Designer 4", "Designer 3"],
        ["Designer 2", "Designer 1"],
        ["Designer 0"],
        [],
    ]
    assert (pages[0].total, pages[0].num_pages, pages[0].has_next) == (5, 3, True)
    assert (pages[2].has_next, pages[2].has_previous) == (False, True)


@pytest.mark.parametrize("text", ["designer", ""])
def test_counting_stops_at_the_limit_and_so_do_the_pages(text, monkeypatch):
    monkeypatch.setattr("openlance.search.pages.COUNT_LIMIT", 3)
    for n in range(5):
        freelancer_with_profile(title=f"Designer {n}", created_at=at(n))
    viewer = client_user()

    def page(number: int):
        params = FreelancerSearchParams(text=text, page=number, page_size=2)
        return search_freelancer_cards(viewer=viewer, params=params)

    first, second, third = page(1), page(2), page(3)

    assert (first.total, first.total_exact, first.total_label) == (3, False, "3+")
    assert first.num_pages == 2
    assert [card.title for card in first.items] == ["Designer 4", "Designer 3"]
    assert [card.title for card in second.items] == ["Designer 2"]
    assert (third.items, third.total, third.total_exact) == ([], 3, False)
    exact = search_freelancer_cards(viewer=viewer, params=FreelancerSearchParams(text="designer 1"))
    assert (exact.total, exact.total_exact, exact.total_label) == (1, True, "1")


def test_a_page_renders_without_more_queries_per_hit(django_assert_max_num_queries):
    python, django = skills_named(["Python", "Django"])
    for n in range(12):
        freelancer_with_profile(
            title=f"Python developer {n}", overview="x " * 300, skills=[python, django]
        )
    viewer = client_user()

    # policy, count (PostgreSQL: in the next query), the page's keys, its rows, skills
    with django_assert_max_num_queries(5):
        page = search_freelancer_cards(viewer=viewer, params=FreelancerSearchParams(text="python"))
        rendered = [
            (
                card.name,
                card.jss_percent,
                card.teaser,
                [s.name for s in card.skills],
            )
            for card in page.items
        ]
    assert len(rendered) == 12
    assert rendered[0][3] == ["Django", "Python"]


def test_browsing_reads_the_policy_the_ranks_freshness_and_one_page_statement(
    django_assert_num_queries, walk_compilations
):
    """Without text: the policy in force, whether any stored rank is stale, and one
    statement for the page and its capped count, compiled once (every page, every viewer
    of a kind); stale ranks order by the policy's expression, another statement."""
    for n in range(5):
        freelancer_with_profile(title=f"Designer {n}", jss_percent=90 - n, created_at=at(n))
    viewer = client_user()
    rankings: list[str] = []
    compiled = walk_compilations

    def keep(execute, sql, params, many, context):
        if sql.startswith("WITH page"):
            rankings.append(sql)
        return execute(sql, params, many, context)

    def page(number: int) -> list[int]:
        params = FreelancerSearchParams(page=number, page_size=2)
        with django_assert_num_queries(3):
            ranked = rank_freelancers(viewer=viewer, params=params)
        assert (ranked.total, ranked.total_exact) == (5, True)
        return [row["pk"] for row in ranked.items]

    profiles = list(Profile.objects.order_by("-jss_percent").values_list("pk", flat=True))
    with transaction.atomic(), connection.execute_wrapper(keep):
        assert [*page(1), *page(2), *page(3), *page(4)] == profiles
        assert (len(compiled), len(set(rankings))) == (1, 1)
        Profile.objects.filter(pk=profiles[0]).update(search_rank_policy=None)
        assert [*page(1), *page(2), *page(3)] == profiles
        assert (len(compiled), len(set(rankings))) == (2, 2)


# --- index sync -------------------------------------------------------------------------


def test_index_follows_updates_skill_changes_and_deletes():
    profile = freelancer_with_profile(title="Logo designer", overview="Brand identity")
    assert titles("logo") == ["Logo designer"]

    profile.title = "Illustrator"
    profile.save()
    profile_index_sync(profile=profile)
    assert titles("logo") == []
    assert titles("illustrator") == ["Illustrator"]

    profile.skills.set(skills_named(["Figma"]))
    profile_index_sync(profile=profile)
    assert titles("figma") == ["Illustrator"]

    profile_index_delete(profile_id=profile.pk)
    assert titles("illustrator") == []
    assert titles() == ["Illustrator"]  # the row is still there; only its text is gone


def test_sync_writes_nothing_when_the_transaction_rolls_back():
    profile = freelancer_with_profile(title="Rust engineer")
    profile.title = "Elixir engineer"

    def rename_then_fail() -> None:
        with transaction.atomic():
            profile_index_sync(profile=profile)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        rename_then_fail()

    assert titles("rust") == ["Rust engineer"]
    assert titles("elixir") == []


def test_rebuild_indexes_rows_written_in_bulk():
    profile = freelancer_with_profile(title="Unindexed")
    Profile.objects.filter(pk=profile.pk).update(title="Data engineer")

    assert titles("data") == []
    profile_index_rebuild()
    assert titles("data") == ["Data engineer"]


# --- explain_rank -------------------------------------------------------------------------


def test_explain_rank_breaks_the_score_down_and_gives_tips():
    leader = freelancer_with_profile(
        title="WordPress developer", skills=["WordPress"], jss_percent=98, created_at=at(0)
    )
    mine = freelancer_with_profile(
        title="Web developer",
        overview="I make sites.",
        jss_percent=None,
        hourly_rate_cents=None,
        created_at=at(1),
    )
    freelancer_with_profile(title="Logo designer", created_at=at(2))
    owner = mine.freelancer.user

    explanation = explain_rank(profile=mine, query_text="WordPress developers", viewer=owner)

    assert [
        (t.word, t.term, t.in_title, t.in_skills, t.in_overview) for t in explanation.terms
    ] == [
        ("wordpress", "wordpress", False, False, False),
        ("developers", "develop", True, False, False),
    ]
    assert not explanation.appears
    assert (explanation.position, explanation.relevance, explanation.score) == (None, None, None)
    assert explanation.total_results == 1
    assert explanation.quality == 0.8
    assert "No Job Success Score" in explanation.quality_reason
    tips = "\n".join(explanation.tips)
    assert "“wordpress” is not in your title, skills or overview" in tips
    assert "Put the service name first in your title (“wordpress”" in tips
    assert "Add the skill “WordPress”" in tips
    assert "Write a longer overview" in tips
    assert "“wordpress”, “developers”" in tips
    assert "Get your location verified" in tips
    assert "Set an hourly rate" in tips

    explained_leader = explain_rank(
        profile=leader, query_text="wordpress developer", viewer=leader.freelancer.user
    )
    assert explained_leader.appears
    assert explained_leader.position == 1
    assert explained_leader.relevance > 0
    assert explained_leader.quality == pytest.approx(0.992)
    assert explained_leader.score == pytest.approx(explained_leader.relevance * 0.992)
    assert "Job Success Score 98%" in explained_leader.quality_reason
    assert not any("title" in tip or "Add the skill" in tip for tip in explained_leader.tips)


def test_explain_rank_position_matches_the_search_order():
    profiles = [
        freelancer_with_profile(title="Python developer", jss_percent=jss, created_at=at(n))
        for n, jss in enumerate([70, 95, None, 95])
    ]
    viewer = client_user()
    order = [card.profile_id for card in found("python", viewer=viewer)]

    for profile in profiles:
        explanation = explain_rank(
            profile=profile, query_text="python", viewer=profile.freelancer.user
        )
        assert explanation.position == order.index(profile.pk) + 1
        assert explanation.total_results == 4


def test_explain_rank_notes_visibility_and_full_skill_list():
    skills = skills_named(
        [
            "Python", "Django", "JavaScript", "TypeScript", "React", "Vue.js", "Node.js", "PHP",
            "Laravel", "Shopify", "Go", "Rust", "Java", "Kotlin", "Swift",
        ]
    )  # fmt: skip
    profile = freelancer_with_profile(
        title="Everything developer", skills=skills, visibility=Visibility.PRIVATE
    )

    explanation = explain_rank(
        profile=profile, query_text="wordpress", viewer=profile.freelancer.user
    )

    assert explanation.position is None
    assert any("private" in tip for tip in explanation.tips)
    assert any("Swap one of your 15 skills for “WordPress”" in tip for tip in explanation.tips)


def test_only_the_owner_or_staff_may_ask_how_a_profile_ranks():
    profile = freelancer_with_profile(title="Python developer")

    with pytest.raises(NotFound):
        explain_rank(profile=profile, query_text="python", viewer=freelancer_user())
    with pytest.raises(NotFound):
        explain_rank(profile=profile, query_text="python", viewer=AnonymousUser())
    staff = freelancer_user(is_staff=True)
    assert explain_rank(profile=profile, query_text="python", viewer=staff).position == 1


# --- the plain-data page of the API and the talent pages ---------------------------------


@pytest.mark.parametrize("text", ["", "writer"])
def test_cards_show_what_the_loaded_profiles_show(text):
    """`search_freelancer_cards` reads columns, not models: each card says what the profile,
    freelancer and account it was read from say, in the ranking's order and with its scores."""
    named = freelancer_with_profile(
        title="Technical writer",
        overview="I write  API guides\nand manuals. " * 30,
        skills=["Python"],
        jss_percent=97,
        total_earned_cents=1_234_500,
        badges=["top_rated", "rising_talent"],
        country="DE",
        verified_country="FR",
        created_at=at(1),
    )
    named.freelancer.user.first_name, named.freelancer.user.last_name = "Ada", "Lovelace"
    named.freelancer.user.verified_city = "Lyon"
    named.freelancer.user.save()
    named.freelancer.photo = "photos/2024/03/ada.png"
    named.freelancer.save()
    specialized_profile(named.freelancer, title="Copy writer")
    plain = freelancer_with_profile(
        title="Ghost writer", hourly_rate_cents=None, country="BR", created_at=at(2)
    )
    plain.freelancer.city = "Recife"
    plain.freelancer.save()
    viewer = client_user()
    params = FreelancerSearchParams(text=text, page_size=100)
    cards = search_freelancer_cards(viewer=viewer, params=params).items
    ranked = rank_freelancers(viewer=viewer, params=params).items
    assert len(cards) == len(ranked) == 3
    for card, ranking in zip(cards, ranked, strict=True):
        profile = Profile.objects.select_related("freelancer__user").get(pk=ranking["pk"])
        freelancer, user = profile.freelancer, profile.freelancer.user
        verified = bool(user.verified_country)
        assert card == FreelancerCard(
            profile_id=profile.pk,
            user_id=user.pk,
            is_general=profile.is_general,
            name=user.public_name,
            photo_url=freelancer.photo.url if freelancer.photo else None,
            initials=user.initials,
            title=profile.title,
            teaser=profile.teaser,
            hourly_rate_cents=profile.hourly_rate_cents,
            skills=[
                SkillTag(name=skill.name, slug=skill.slug)
                for skill in profile.skills.order_by("name")
            ],
            country=(user.verified_country.code if verified else freelancer.country.code) or "",
            city=user.verified_city if verified else freelancer.city,
            location_verified=verified,
            jss_percent=freelancer.jss_percent,
            badges=freelancer.badge_list,
            total_earned_cents=freelancer.total_earned_cents,
            relevance=ranking.get("relevance"),
            quality=ranking["quality"],
            score=ranking["score"],
        )
    ada = next(card for card in cards if card.title == "Technical writer")
    assert (ada.name, ada.country, ada.city, ada.location_verified) == (
        "Ada L.",
        "FR",
        "Lyon",
        True,
    )
    assert [badge.value for badge in ada.badges] == ["rising_talent", "top_rated"]  # enum order
    ghost = next(card for card in cards if card.title == "Ghost writer")
    assert (ghost.country, ghost.city, ghost.photo_url) == ("BR", "Recife", None)
