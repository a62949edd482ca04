"""The search endpoints: filters parsed from the query string, visibility enforced, bad
input a 422."""

import pytest

from openlance.accounts.services import token_create
from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.api.tests.conftest import ApiClient, assert_problem
from openlance.api.urls import api
from openlance.core.tests.files import pdf_upload
from openlance.jobs.api import JobOut, JobSearchOut
from openlance.jobs.models import ScreeningQuestion
from openlance.jobs.services import job_attachment_add
from openlance.jobs.tests.factories import job_post
from openlance.profiles.api import FreelancerSearchOut
from openlance.profiles.models import Visibility
from openlance.profiles.tests.factories import freelancer_with_profile

pytestmark = pytest.mark.django_db


def _titles(response):
    assert response.status_code == 200, response.content
    return [item["title"] for item in response.json()["items"]]


def test_us_only_content_writers(anonymous_api):
    freelancer_with_profile(
        title="Content writing for SaaS", skills=["Content Writing"], verified_country="US"
    )
    freelancer_with_profile(
        title="Content writing and blogs", skills=["Content Writing"], country="US"
    )
    freelancer_with_profile(
        title="Content writing in Spanish", skills=["Content Writing"], verified_country="ES"
    )
    freelancer_with_profile(title="Django developer", skills=["Django"], verified_country="US")
    response = anonymous_api.get("/api/v1/search/freelancers", q="content writing", country="US")
    assert _titles(response) == ["Content writing for SaaS"]
    hit = response.json()["items"][0]
    assert hit["location_verified"] is True
    assert hit["job_success_score"] is None
    assert hit["hourly_rate"] == {"amount": "50.00", "currency": "USD"}
    everyone = anonymous_api.get("/api/v1/search/freelancers", q="content writing").json()
    assert everyone["count"] == 3


def test_visibility_in_search(anonymous_api):
    freelancer_with_profile(title="Public copywriter", visibility=Visibility.PUBLIC)
    freelancer_with_profile(title="Members copywriter", visibility=Visibility.MEMBERS)
    freelancer_with_profile(title="Private copywriter", visibility=Visibility.PRIVATE)
    assert _titles(anonymous_api.get("/api/v1/search/freelancers", q="copywriter")) == [
        "Public copywriter"
    ]
    member = ApiClient(token_create(user=client_user(), name="t")[1])
    assert sorted(_titles(member.get("/api/v1/search/freelancers", q="copywriter"))) == [
        "Members copywriter",
        "Public copywriter",
    ]


@pytest.mark.parametrize(
    "query",
    [
        {"rate_min": "abc"},
        {"jss_min": "101"},
        {"skill": "basket-weaving"},
        {"english_min": "klingon"},
        {"availability": "sometimes"},
        {"page_size": "1000"},
        {"country": "USA"},
    ],
)
def test_bad_freelancer_filters_are_422(anonymous_api, query):
    assert_problem(anonymous_api.get("/api/v1/search/freelancers", **query), 422)


def test_nasty_text_never_errors(anonymous_api):
    freelancer_with_profile(title="Logo design")
    for text in ['"logo', "AND OR NOT", "*", "-logo", "logo)", "ロゴ", "x" * 200, "NEAR(a b)"]:
        assert anonymous_api.get("/api/v1/search/freelancers", q=text).status_code == 200


def test_job_search_filters_and_hidden_posts(anonymous_api):
    job_post(title="Write blog posts about fintech", skills=["Content Writing"])
    job_post(title="Write a whitepaper", budget_type="hourly", skills=["Technical Writing"])
    job_post(title="Write secret posts", visibility="invite_only")
    job_post(title="Write closed posts", state="closed_no_hire")
    assert sorted(_job_titles(anonymous_api.get("/api/v1/search/jobs", q="write"))) == [
        "Write a whitepaper",
        "Write blog posts about fintech",
    ]
    hourly = anonymous_api.get("/api/v1/search/jobs", q="write", budget_type="hourly")
    assert _job_titles(hourly) == ["Write a whitepaper"]
    by_skill = anonymous_api.get("/api/v1/search/jobs", skill="content-writing", sort="newest")
    assert _job_titles(by_skill) == ["Write blog posts about fintech"]
    assert_problem(anonymous_api.get("/api/v1/search/jobs", sort="random"), 422)
    assert_problem(anonymous_api.get("/api/v1/search/jobs", category="astrology"), 422)
    assert_problem(anonymous_api.get("/api/v1/search/jobs", proposals="3-7"), 422)


def _job_titles(response):
    assert response.status_code == 200, response.content
    return [item["job"]["title"] for item in response.json()["items"]]


def test_how_do_i_rank(db):
    profile = freelancer_with_profile(
        title="Writer for hire", skills=["Copywriting"], overview="I write content."
    )
    me = ApiClient(token_create(user=profile.freelancer.user, name="t")[1])
    rank = me.get(f"/api/v1/me/profiles/{profile.pk}/rank", q="content writing").json()
    assert rank["appears"] is True
    assert rank["position"] == 1
    assert rank["weights"] == {"title": "3", "skills": "2", "overview": "1"}
    assert any("title" in tip.lower() for tip in rank["tips"])
    other_freelancer = ApiClient(token_create(user=freelancer_user(), name="t")[1])
    assert_problem(other_freelancer.get(f"/api/v1/me/profiles/{profile.pk}/rank", q="x"), 404)


def test_counts_past_the_limit_say_so(anonymous_api, client, monkeypatch):
    monkeypatch.setattr("openlance.search.pages.COUNT_LIMIT", 2)
    for n in range(3):
        freelancer_with_profile(title=f"Illustrator {n}")
        job_post(title=f"Illustration {n}")
    for path in ("/api/v1/search/freelancers", "/api/v1/search/jobs"):
        body = anonymous_api.get(path).json()
        assert (body["count"], body["count_exact"], body["pages"]) == (2, False, 1)
        assert anonymous_api.get(path, q="illustrator 1").json()["count_exact"] is True
    assert "2+ freelancers" in client.get("/search/freelancers/").content.decode()
    assert "2+ jobs" in client.get("/search/jobs/").content.decode()


def test_job_search_queries_do_not_grow_with_the_hits(anonymous_api, django_assert_max_num_queries):
    for n in range(12):
        job = job_post(title=f"Translation {n}")
        ScreeningQuestion.objects.create(job=job, position=1, text="Which languages?")
    # Counted and ranked together, the page's rows, skills, questions, attachments (+ the
    # ranking policy): the same for 12 hits as for 1.
    with django_assert_max_num_queries(8):
        body = anonymous_api.get("/api/v1/search/jobs", q="translation").json()
    assert len(body["items"]) == 12
    assert body["items"][0]["job"]["questions"][0]["text"] == "Which languages?"


def test_answers_built_without_validation_are_the_documented_shape(anonymous_api):
    """Search and job detail answer with `trusted_response` (not validated on the way out):
    each answer is byte for byte what Ninja sends for the same data through the response
    schema and the API's renderer: no field missing, extra, reordered or differently written."""
    job = job_post(
        title="Write blog posts",
        skills=["Content Writing"],
        budget_type="hourly",
        hourly_min_cents=2_500,
        hourly_max_cents=4_000,
    )
    ScreeningQuestion.objects.create(job=job, position=1, text="Which topics?")
    job_attachment_add(job=job, upload=pdf_upload("brief.pdf"))
    job_post(title="Write a whitepaper", budget_cents=60_000)
    freelancer_with_profile(title="Content writing", verified_country="US", jss_percent=93)
    freelancer_with_profile(title="Content writing too", hourly_rate_cents=None)
    answers = [
        ("/api/v1/search/jobs", {"q": "write"}, JobSearchOut, 2),
        ("/api/v1/search/jobs", {}, JobSearchOut, 2),
        ("/api/v1/search/freelancers", {"q": "content writing"}, FreelancerSearchOut, 2),
        ("/api/v1/search/freelancers", {}, FreelancerSearchOut, 2),
        (f"/api/v1/jobs/{job.pk}", {}, JobOut, None),
    ]
    for path, query, schema, hits in answers:
        response = anonymous_api.get(path, **query)
        assert response.status_code == 200, response.content
        assert response["Content-Type"] == "application/json; charset=utf-8"
        body = response.json()
        if hits is not None:
            assert len(body["items"]) == hits
        as_ninja_sends_it = api.renderer.render(
            None, schema.model_validate(body).model_dump(), response_status=200
        )
        assert response.content == as_ninja_sends_it, path
