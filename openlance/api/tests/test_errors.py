"""Bad input is always a 4xx problem+json, never a 500."""

import json

import pytest
from django.core.exceptions import TooManyFieldsSent
from django.core.files.uploadedfile import SimpleUploadedFile

from openlance.accounts.models import PersonalAccessToken
from openlance.api.errors import bad_request
from openlance.api.tests.conftest import assert_problem
from openlance.jobs.tests.factories import job_post
from openlance.ledger.models import Transfer


@pytest.mark.parametrize(
    "body",
    ["{not json", "", "null", "[]", '"text"', '{"name": ', "\x00\x01"],
)
def test_malformed_json_is_a_4xx(api_as_freelancer, body):
    response = api_as_freelancer.post("/api/v1/tokens", body)
    assert 400 <= response.status_code < 500
    assert response["Content-Type"] == "application/problem+json"
    assert not PersonalAccessToken.objects.filter(name="").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": 12}, "name"),
        ({"name": ["a"]}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 81}, "name"),
        ({}, "name"),
    ],
)
def test_wrong_types_name_the_field(api_as_freelancer, body, field):
    before = PersonalAccessToken.objects.count()
    problem = assert_problem(api_as_freelancer.post("/api/v1/tokens", json.dumps(body)), 422)
    assert field in {error["field"] for error in problem["errors"]}
    assert PersonalAccessToken.objects.count() == before


def test_unknown_fields_are_refused(api_as_freelancer):
    problem = assert_problem(
        api_as_freelancer.post("/api/v1/tokens", json.dumps({"name": "ok", "admin": True})), 422
    )
    assert "admin" in json.dumps(problem["errors"])


@pytest.mark.parametrize(
    "payload",
    [
        {"amount": {"amount": 12.5, "currency": "USD"}, "payment_method": "pm_card_visa"},
        {"amount": {"amount": "12.345", "currency": "USD"}, "payment_method": "pm_card_visa"},
        {"amount": {"amount": "1e5", "currency": "USD"}, "payment_method": "pm_card_visa"},
        {"amount": {"amount": "12.00", "currency": "usd"}, "payment_method": "pm_card_visa"},
        {"amount": "12.00", "payment_method": "pm_card_visa"},
        {"amount": {"amount": "12.00"}, "payment_method": ""},
        {"amount": {"amount": "12.00"}, "payment_method": "pm_card_visa", "tip": "1.00"},
    ],
)
def test_bad_money_is_refused_and_moves_nothing(api_as_client, payload):
    assert_problem(api_as_client.post("/api/v1/wallet/deposits", json.dumps(payload)), 422)
    assert not Transfer.objects.exists()


@pytest.mark.parametrize(
    "query",
    [
        {"amount": "abc"},
        {"amount": "-5"},
        {"amount": "1.234"},
        {},
        {"amount": "10", "lifetime_billed": "x"},
    ],
)
def test_fee_quote_rejects_bad_query(anonymous_api, query):
    assert_problem(anonymous_api.get("/api/v1/fees/quote", **query), 422)


def test_bad_path_parameter_is_a_4xx(api_as_freelancer):
    response = api_as_freelancer.delete("/api/v1/tokens/not-a-number")
    assert 400 <= response.status_code < 500


def test_unknown_policy_kind_is_404(anonymous_api):
    assert_problem(anonymous_api.get("/api/v1/policies/astrology"), 404)


def test_wrong_method_is_a_4xx(api_as_freelancer):
    response = api_as_freelancer.client.put(
        "/api/v1/me", "{}", content_type="application/json", headers=api_as_freelancer.headers
    )
    assert response.status_code == 405


@pytest.mark.parametrize("headers", [{}, {"Idempotency-Key": "big-1"}])
def test_a_body_over_the_upload_limit_is_a_413(api_as_freelancer, settings, headers):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"name": "x" * 2000})
    response = api_as_freelancer.post("/api/v1/tokens", body, headers=headers)
    assert assert_problem(response, 413)["code"] == "request_too_large"
    assert not PersonalAccessToken.objects.filter(name__startswith="xxx").exists()


def test_too_many_files_is_a_400(api_as_client, client_account):
    job = job_post(client=client_account)
    files = {f"f{n}": SimpleUploadedFile(f"a{n}.pdf", b"%PDF-1.4 x") for n in range(101)}
    response = api_as_client.client.post(
        f"/api/v1/jobs/{job.pk}/attachments", files, headers=api_as_client.headers
    )
    assert_problem(response, 400)
    assert not job.attachments.exists()


def test_too_many_form_fields_is_a_400(api_as_client, client_account):
    job = job_post(client=client_account)
    fields = {f"x{n}": "1" for n in range(1100)}
    response = api_as_client.client.post(
        f"/api/v1/jobs/{job.pk}/attachments", fields, headers=api_as_client.headers
    )
    assert_problem(response, 400)


def test_too_many_query_parameters_is_a_400(anonymous_api):
    # Short fields, so the URL stays under the API's length limit (a 414).
    query = "&".join("x" for _ in range(1100))
    assert_problem(anonymous_api.client.get(f"/api/v1/search/jobs?{query}"), 400)


def test_a_request_django_refuses_is_problem_json_only_under_api(rf):
    refusal = TooManyFieldsSent("too many")
    problem = bad_request(rf.get("/api/v1/jobs"), refusal)
    assert problem.status_code == 400
    assert problem["Content-Type"] == "application/problem+json"
    page = bad_request(rf.get("/search/jobs/"), refusal)
    assert page.status_code == 400
    assert page["Content-Type"].startswith("text/html")


def test_a_nul_character_inside_a_list_is_a_422(api_as_client):
    body = {
        "title": "Build a website for us",
        "description": "x" * 80,
        "category": "web-mobile-software-dev",
        "size": "small",
        "duration": "less_than_1_month",
        "experience_level": "entry",
        "budget_type": "fixed",
        "budget": {"amount": "100.00"},
        "questions": ["What\x00 is it?"],
    }
    problem = assert_problem(api_as_client.post("/api/v1/jobs", json.dumps(body)), 422)
    assert "questions" in {error["field"] for error in problem["errors"]}


@pytest.mark.parametrize("method", ["delete", "put", "post", "head"])
def test_a_method_an_endpoint_does_not_take_is_a_problem_405(client, method):
    response = getattr(client, method)("/api/v1/policies")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
    assert response["Allow"] == "GET"


def test_a_405_outside_the_api_stays_a_page(client, client_account):
    client.force_login(client_account)
    response = client.get("/account/name/")
    assert response.status_code == 405
    assert response["Content-Type"] != "application/problem+json"
