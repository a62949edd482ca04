import json

import pytest
from django.contrib.auth.models import Group

from openlance.accounts.models import LocationVerification
from openlance.accounts.services import token_create
from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.api.tests.conftest import ApiClient, assert_problem
from openlance.core.tests.files import fake_image_upload, pdf_upload, png_upload
from openlance.jobs.models import JobPost
from openlance.profiles.models import Visibility

JOB = {
    "title": "Landing page copy for a fintech app",
    "description": (
        "Write the copy for our landing page: hero, features, pricing and FAQ sections, "
        "in a friendly tone."
    ),
    "category": "writing",
    "skills": ["copywriting"],
    "size": "small",
    "duration": "less_than_1_month",
    "experience_level": "expert",
    "budget_type": "fixed",
    "budget": {"amount": "450.00", "currency": "USD"},
    "countries": ["US"],
    "questions": ["Link a landing page you wrote."],
}


def _api(user):
    return ApiClient(token_create(user=user, name="t")[1])


def test_freelancer_builds_a_profile_through_the_api(api_as_freelancer, freelancer_account):
    me = api_as_freelancer.get("/api/v1/me/freelancer").json()
    assert me["completeness"]["percent"] == 0
    general_id = me["profiles"][0]["id"]
    updated = api_as_freelancer.client.put(
        "/api/v1/me/freelancer",
        json.dumps(
            {
                "country": "US",
                "city": "Austin",
                "time_zone": "America/Chicago",
                "availability": "full_time",
                "english_level": "fluent",
                "visibility": "public",
            }
        ),
        content_type="application/json",
        headers=api_as_freelancer.headers,
    )
    assert updated.status_code == 200, updated.content
    profile = api_as_freelancer.client.put(
        f"/api/v1/me/profiles/{general_id}",
        json.dumps(
            {
                "title": "Content writing for SaaS",
                "overview": "I write blog posts that rank.",
                "hourly_rate": {"amount": "45.00"},
                "skills": ["content-writing", "seo-writing"],
            }
        ),
        content_type="application/json",
        headers=api_as_freelancer.headers,
    ).json()
    assert profile["hourly_rate"] == {"amount": "45.00", "currency": "USD"}
    photo = api_as_freelancer.client.post(
        "/api/v1/me/freelancer/photo", {"photo": png_upload()}, headers=api_as_freelancer.headers
    )
    assert photo.status_code == 200
    assert photo.json()["photo_url"].endswith(".jpg")
    public = ApiClient(None).get(f"/api/v1/freelancers/{freelancer_account.pk}").json()
    assert public["profiles"][0]["title"] == "Content writing for SaaS"
    assert public["job_success_score"] is None
    assert public["location"] == {
        "country": "US",
        "country_name": "United States of America",
        "city": "Austin",
        "time_zone": "America/Chicago",
        "verified": False,
    }


def test_bad_photo_is_a_422_and_changes_nothing(api_as_freelancer):
    response = api_as_freelancer.client.post(
        "/api/v1/me/freelancer/photo",
        {"photo": fake_image_upload()},
        headers=api_as_freelancer.headers,
    )
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["field"] == "photo"
    assert api_as_freelancer.get("/api/v1/me/freelancer").json()["photo_url"] is None


def test_specialized_profiles_and_history(api_as_freelancer):
    created = api_as_freelancer.post(
        "/api/v1/me/profiles", json.dumps({"title": "SEO audits", "skills": ["seo"]})
    )
    assert created.status_code == 201
    assert created.json()["is_general"] is False
    assert (
        api_as_freelancer.post(
            "/api/v1/me/employment",
            json.dumps({"company": "Acme", "role": "Editor", "started_on": "2021-02-01"}),
        ).status_code
        == 201
    )
    bad = api_as_freelancer.post(
        "/api/v1/me/employment",
        json.dumps({"company": "Acme", "role": "Editor", "started_on": "not a date"}),
    )
    assert_problem(bad, 422)
    portfolio = api_as_freelancer.client.post(
        "/api/v1/me/portfolio",
        {
            "title": "Case study",
            "link": "https://example.com/case",
            "skills": "seo,content-writing",
        },
        headers=api_as_freelancer.headers,
    )
    assert portfolio.status_code == 201, portfolio.content
    assert portfolio.json()["skills"] == ["Content Writing", "SEO"]
    me = api_as_freelancer.get("/api/v1/me/freelancer").json()
    assert len(me["profiles"]) == 2
    assert me["employment"][0]["company"] == "Acme"
    assert (
        api_as_freelancer.delete(f"/api/v1/me/profiles/{created.json()['id']}").status_code == 204
    )


def test_visibility_is_enforced_in_the_api(db):
    owner = freelancer_user(first_name="Maria", last_name="Lopez")
    api = _api(owner)
    api.get("/api/v1/me/freelancer")
    from openlance.profiles.models import Freelancer

    Freelancer.objects.filter(user=owner).update(visibility=Visibility.MEMBERS)
    assert_problem(ApiClient(None).get(f"/api/v1/freelancers/{owner.pk}"), 404)
    assert _api(client_user()).get(f"/api/v1/freelancers/{owner.pk}").json()["access"] == "full"
    Freelancer.objects.filter(user=owner).update(visibility=Visibility.PRIVATE)
    limited = ApiClient(None).get(f"/api/v1/freelancers/{owner.pk}").json()
    assert limited["access"] == "limited"
    assert limited["name"] == "Maria L."
    assert limited["earnings"] is None
    assert limited["employment"] == []
    assert api.get(f"/api/v1/freelancers/{owner.pk}").json()["access"] == "full"


def test_catalog_endpoints(anonymous_api):
    skills = anonymous_api.get("/api/v1/skills").json()
    assert {"slug": "content-writing", "name": "Content Writing", "category": "Writing"} in skills
    assert any(c["slug"] == "writing" for c in anonymous_api.get("/api/v1/categories").json())


def test_client_posts_a_job_and_others_see_it_only_when_open(api_as_client, client_account):
    draft = api_as_client.post("/api/v1/jobs", json.dumps(JOB))
    assert draft.status_code == 201, draft.content
    job_id = draft.json()["id"]
    assert draft.json()["state"] == "draft"
    assert_problem(ApiClient(None).get(f"/api/v1/jobs/{job_id}"), 404)
    published = api_as_client.post(f"/api/v1/jobs/{job_id}/publish")
    assert published.json()["state"] == "open"
    public = ApiClient(None).get(f"/api/v1/jobs/{job_id}").json()
    assert public["budget"] == {"amount": "450.00", "currency": "USD"}
    assert public["countries"] == ["US"]
    stranger = _api(client_user())
    assert_problem(stranger.post(f"/api/v1/jobs/{job_id}/close", json.dumps({"hired": False})), 404)
    attached = api_as_client.client.post(
        f"/api/v1/jobs/{job_id}/attachments",
        {"file": pdf_upload("brief.pdf")},
        headers=api_as_client.headers,
    )
    assert attached.status_code == 201
    closed = api_as_client.post(f"/api/v1/jobs/{job_id}/close", json.dumps({"hired": False}))
    assert closed.json()["state"] == "closed_no_hire"
    assert_problem(api_as_client.post(f"/api/v1/jobs/{job_id}/publish"), 409)
    mine = api_as_client.get("/api/v1/me/jobs", state="closed_no_hire").json()
    assert mine["count"] == 1
    signals = ApiClient(None).get(f"/api/v1/clients/{client_account.pk}").json()
    assert signals["hire_rate_percent"] == 0
    assert signals["average_hourly_rate_paid"] is None


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"budget": {"amount": "4.99"}}, 422),
        ({"budget": {"amount": 450}}, 422),
        ({"size": "gigantic"}, 422),
        ({"budget_type": "hourly"}, 422),
        ({"questions": ["a", "b", "c", "d", "e", "f"]}, 422),
        ({"unknown": 1}, 422),
    ],
)
def test_bad_job_input_is_a_4xx_and_saves_nothing(api_as_client, change, status):
    assert_problem(api_as_client.post("/api/v1/jobs", json.dumps({**JOB, **change})), status)
    assert not JobPost.objects.exists()


def test_invite_only_posts_are_hidden(api_as_client):
    job = api_as_client.post(
        "/api/v1/jobs", json.dumps({**JOB, "visibility": "invite_only"})
    ).json()
    api_as_client.post(f"/api/v1/jobs/{job['id']}/publish")
    assert_problem(ApiClient(None).get(f"/api/v1/jobs/{job['id']}"), 404)
    assert api_as_client.get(f"/api/v1/jobs/{job['id']}").status_code == 200


def test_verification_through_the_api(api_as_freelancer, freelancer_account):
    submitted = api_as_freelancer.client.post(
        "/api/v1/me/verifications",
        {
            "country": "US",
            "city": "Austin",
            "id_document": pdf_upload(),
            "proof_of_address": png_upload(),
        },
        headers=api_as_freelancer.headers,
    )
    assert submitted.status_code == 201, submitted.content
    verification_id = submitted.json()["id"]
    assert_problem(api_as_freelancer.post(f"/api/v1/verifications/{verification_id}/approve"), 404)
    assert api_as_freelancer.get("/api/v1/verifications").json()["count"] == 0

    verifier = freelancer_user(is_staff=True)
    verifier.groups.add(Group.objects.get(name="Verifier"))
    staff_api = _api(verifier)
    assert staff_api.get("/api/v1/verifications").json()["count"] == 1
    rejected = staff_api.post(
        f"/api/v1/verifications/{verification_id}/reject", json.dumps({"reason": "Blurry"})
    )
    assert rejected.json()["status"] == "rejected"
    appeal = api_as_freelancer.client.post(
        f"/api/v1/me/verifications/{verification_id}/appeal",
        {"note": "Sharper scan", "id_document": pdf_upload(), "proof_of_address": pdf_upload()},
        headers=api_as_freelancer.headers,
    )
    assert appeal.status_code == 201
    approved = staff_api.post(f"/api/v1/verifications/{appeal.json()['id']}/approve")
    assert approved.json()["status"] == "approved"
    api_as_freelancer.get("/api/v1/me/freelancer")
    me = api_as_freelancer.get(f"/api/v1/freelancers/{freelancer_account.pk}").json()
    assert me["location"]["verified"] is True
    assert (me["location"]["country"], me["location"]["city"]) == ("US", "Austin")


def test_verification_with_a_fake_document_is_refused(api_as_freelancer):
    response = api_as_freelancer.client.post(
        "/api/v1/me/verifications",
        {
            "country": "US",
            "city": "Austin",
            "id_document": fake_image_upload("id.pdf"),
            "proof_of_address": pdf_upload(),
        },
        headers=api_as_freelancer.headers,
    )
    assert_problem(response, 422)
    assert not LocationVerification.objects.exists()
