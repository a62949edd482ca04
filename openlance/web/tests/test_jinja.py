"""The Jinja2 environment that renders the long result lists formats as the Django templates
do, escapes what it shows and refuses a name it does not know."""

from datetime import timedelta

import pytest
from django.template import Context, Template, engines
from jinja2 import UndefinedError

from openlance.core import clock

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


def test_everything_shown_is_escaped():
    html = jinja.from_string("<p>{{ text }}</p>").render({"text": '<b class="x">&</b>'})
    assert html == "<p>&lt;b class=&#34;x&#34;&gt;&amp;&lt;/b&gt;</p>"


def test_a_misspelt_name_fails_instead_of_rendering_nothing():
    with pytest.raises(UndefinedError):
        jinja.from_string("{{ job.titel }}").render({"job": Post(title="A")})
