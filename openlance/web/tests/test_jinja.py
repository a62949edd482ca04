"""The Jinja2 environment that renders the long result lists formats as the Django templates
do, escapes what it shows and refuses a name it does not know; the search forms' panels
draw the same HTML with the site's form renderer as with Django's default one."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.forms.renderers import DjangoTemplates
from django.http import QueryDict
from django.template import Context, Template, engines
from django.template.loader import render_to_string
from django.urls import set_script_prefix
from django.utils.timesince import timesince
from hypothesis import example, given
from hypothesis import strategies as st
from jinja2 import UndefinedError

from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.core import clock
from openlance.jobs.forms import JobSearchForm
from openlance.profiles.forms import FreelancerSearchForm
from openlance.profiles.models import Freelancer
from openlance.profiles.search import FreelancerSearchParams, search_freelancer_cards
from openlance.profiles.tests.factories import freelancer_with_profile
from openlance.web.templatetags.ui import ago, jinja_include

jinja = engines["jinja2"]


def render_in_both(source: str, value: object) -> tuple[str, str]:
    return (
        jinja.from_string(source).render({"v": value}),
        Template("{% load money ui %}" + source).render(Context({"v": value})),
    )


@pytest.mark.parametrize("cents", [123_456, 5, 0, None])
def test_money_reads_as_in_django_templates(cents):
    in_jinja, in_django = render_in_both("{{ v|money }}", cents)
    assert in_jinja == in_django


@pytest.mark.parametrize("count", [0, 1, 2])
def test_plurals_read_as_in_django_templates(count):
    in_jinja, in_django = render_in_both("proposal{{ v|pluralize }}", count)
    assert in_jinja == in_django


@pytest.mark.parametrize("age", [timedelta(0), timedelta(hours=5), timedelta(days=3, hours=2)])
def test_times_read_as_in_django_templates(age):
    in_jinja, in_django = render_in_both("{{ v|ago }}", clock.now() - age)
    assert in_jinja == in_django
    assert in_jinja


@pytest.mark.parametrize(
    "age",
    [
        timedelta(minutes=1),
        timedelta(minutes=2, seconds=59),
        timedelta(hours=1),
        timedelta(hours=1, minutes=1),
        timedelta(days=1),
        timedelta(days=7),
        timedelta(days=13, hours=23),
        timedelta(days=35),
        timedelta(days=366),
        timedelta(days=800, hours=5),
    ],
)
def test_ago_words_a_time_as_django_timesince_does(age):
    with clock.frozen_at(clock.now()):
        moment = clock.now() - age
        assert ago(moment) == f"{timesince(moment, now=clock.now())} ago"


@given(
    now=st.datetimes(
        min_value=datetime(2001, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
    ),
    age=st.one_of(
        st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=28)),
        st.timedeltas(min_value=timedelta(days=27), max_value=timedelta(days=32)),
        st.timedeltas(min_value=timedelta(days=28), max_value=timedelta(days=800)),
    ),
)
@example(now=datetime(2024, 3, 1, 9, tzinfo=UTC), age=timedelta(days=28, seconds=-1))
@example(now=datetime(2023, 3, 1, 9, tzinfo=UTC), age=timedelta(days=28))
def test_ago_reads_as_timesince_over_any_age(now, age):
    """`ago` counts ages under a month itself: the same words, spaces and units as
    `timesince`, month ends, leap days and microseconds included."""
    with clock.frozen_at(now):
        moment = now - age
        assert ago(moment) == f"{timesince(moment, now=now)} ago"


class Post:
    def __init__(self, **columns: object) -> None:
        self.__dict__.update(columns)


@pytest.mark.parametrize(
    ("post", "shown"),
    [
        (Post(budget_type="fixed", budget_cents=75_000), "Fixed price $750.00"),
        (
            Post(budget_type="hourly", hourly_min_cents=1_500, hourly_max_cents=3_000),
            "Hourly $15.00\u2013$30.00",
        ),
    ],
)
def test_the_budget_reads_the_same_in_both_engines(post, shown):
    assert jinja.from_string("{{ post|budget }}").render({"post": post}) == shown
    assert Template("{% load money %}{{ post|budget }}").render(Context({"post": post})) == shown


def test_urls_are_django_urls():
    assert jinja.from_string("{{ url('job_detail', 42) }}").render({}) == "/jobs/42/"


def test_an_included_templates_links_are_under_the_prefix_it_is_drawn_under():
    assert 'href="/policies/"' in jinja_include("web/_footer.html")
    set_script_prefix("/mounted/")
    try:
        assert 'href="/mounted/policies/"' in jinja_include("web/_footer.html")
    finally:
        set_script_prefix("/")


def test_everything_shown_is_escaped():
    html = jinja.from_string("<p>{{ text }}</p>").render({"text": '<b class="x">&</b>'})
    assert html == "<p>&lt;b class=&#34;x&#34;&gt;&amp;&lt;/b&gt;</p>"


def test_a_misspelt_name_fails_instead_of_rendering_nothing():
    with pytest.raises(UndefinedError):
        jinja.from_string("{{ job.titel }}").render({"job": Post(title="A")})


def same_markup(html: str) -> str:
    """The same markup whatever the whitespace between tags and the style of entity."""
    html = re.sub(r">\s+<", "><", html).replace("&#39;", "&#x27;").replace("&#34;", "&quot;")
    return " ".join(html.split())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("form_class", "panel", "query"),
    [
        (JobSearchForm, "jobs/_filters.html", ""),
        (
            JobSearchForm,
            "jobs/_filters.html",
            "skills=python&budget_types=hourly&fixed_min=a+lot&client_country=US"
            "&payment_verified=on&posted_within=7&experience_levels=expert",
        ),
        (FreelancerSearchForm, "profiles/_filters.html", ""),
        (
            FreelancerSearchForm,
            "profiles/_filters.html",
            "skills=python&rate_min=abc&us_only=on&jss_min=90&badges=top_rated&country=US",
        ),
    ],
)
def test_search_forms_draw_with_jinja2_what_django_templates_draw(form_class, panel, query):
    """The search forms' panels (Django templates drawing each widget through the site's
    form renderer), chosen values and errors read exactly as with Django's default renderer."""
    drawn = {}
    for renderer in (None, DjangoTemplates()):
        form = form_class(QueryDict(query), renderer=renderer)
        form.is_valid()
        widgets = "".join(str(form[name]) for name in ("q", "sort") if name in form.fields)
        drawn[renderer is None] = same_markup(render_to_string(panel, {"form": form}) + widgets)
    assert drawn[True] == drawn[False]
    assert "checked" in drawn[True] or not query
    assert "field-errors" in drawn[True] or not query


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("cards_template", "size", "with_badges"),
    [("profiles/_talent_cards.html", "md", True), ("profiles/_talent_rows.html", "sm", False)],
)
def test_talent_cards_draw_avatar_score_and_badges_as_the_profile_pages_do(
    cards_template, size, with_badges
):
    """The Jinja2 talent cards (and the home page's rows) repeat the markup of
    profiles/_avatar.html, _jss.html and _badges.html: each as the profile pages draw it
    stands in the card as it is."""
    pictured = freelancer_with_profile(
        title="Data analyst", jss_percent=91, badges=["top_rated_plus", "rising_talent"]
    )
    pictured.freelancer.photo = "photos/2026/01/ada.png"
    pictured.freelancer.save(update_fields=["photo"])
    freelancer_with_profile(
        user=freelancer_user(first_name="", last_name="", email="zed@example.com"),
        title="Data analyst too",
    )
    viewer = client_user()
    cards = search_freelancer_cards(
        viewer=viewer, params=FreelancerSearchParams(text="data analyst")
    ).items
    drawn = same_markup(
        jinja.get_template(cards_template).render({"cards": cards, "viewer": viewer})
    )
    assert len(cards) == 2
    for card in cards:
        freelancer = Freelancer.objects.get(user_id=card.user_id)
        includes = [
            ("profiles/_avatar.html", {"size": size}),
            ("profiles/_jss.html", {"jss": freelancer.jss_percent}),
        ]
        if with_badges:
            includes.append(
                ("profiles/_badges.html", {"badges": freelancer.badge_list, "owner": False})
            )
        for include, extra in includes:
            fragment = same_markup(render_to_string(include, {"freelancer": freelancer, **extra}))
            assert fragment in drawn, include
    assert 'src="/media/photos/2026/01/ada.png"' in drawn
    assert ">Z</span>" in drawn
