"""Defects found in review, each pinned by the request that used to break."""

import json

import pytest
from django.test import Client

from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.api.tests.conftest import ApiClient, assert_problem
from openlance.core.models import IdempotencyRecord
from openlance.core.tests.files import png_upload
from openlance.jobs.models import JobPost
from openlance.jobs.tests.factories import job_post
from openlance.profiles.models import Visibility
from openlance.profiles.services import (
    freelancer_set_photo,
    freelancer_set_visibility,
    portfolio_item_save,
)
from openlance.profiles.tests.factories import freelancer_with_profile

pytestmark = pytest.mark.django_db
HUGE_ID = "99999999999999999999999"


def test_a_token_secret_is_never_kept_for_replay(api_as_freelancer):
    headers = {"Idempotency-Key": "tok-1"}
    first = api_as_freelancer.post(
        "/api/v1/tokens", json.dumps({"name": "script"}), headers=headers
    )
    assert first.status_code == 201
    assert first["Cache-Control"] == "no-store"
    assert not IdempotencyRecord.objects.filter(key="tok-1").exists()
    again = api_as_freelancer.post(
        "/api/v1/tokens", json.dumps({"name": "script"}), headers=headers
    )
    assert again.json()["token"] != first.json()["token"]


@pytest.mark.parametrize("amount", ["1e999999", "1e5000", "1" * 40, "12.5.3"])
def test_amounts_in_exponent_form_or_absurd_size_are_refused(amount, anonymous_api):
    assert_problem(anonymous_api.get("/api/v1/fees/quote", amount=amount), 422)
    assert Client().get("/fees/", {"amount": amount, "lifetime_billed": "0"}).status_code < 500
    assert Client().get("/search/freelancers/", {"rate_min": amount}).status_code < 500
    assert Client().get("/search/jobs/", {"fixed_min": amount}).status_code < 500


def test_huge_pages_and_ids_are_4xx(api_as_client):
    assert_problem(
        api_as_client.get("/api/v1/wallet/transactions", page="9223372036854775807"), 422
    )
    assert_problem(api_as_client.get("/api/v1/tokens", page="10001"), 422)
    assert_problem(ApiClient(None).get(f"/api/v1/freelancers/{HUGE_ID}"), 404)
    assert Client().get(f"/freelancers/{HUGE_ID}/").status_code == 404


def test_only_usd_is_accepted(api_as_client):
    body = {
        "title": "Landing page copy",
        "description": "Write the copy for our landing page: hero, features, pricing and FAQ.",
        "category": "writing",
        "size": "small",
        "duration": "less_than_1_month",
        "experience_level": "expert",
        "budget_type": "fixed",
        "budget": {"amount": "100.00", "currency": "EUR"},
    }
    assert_problem(api_as_client.post("/api/v1/jobs", json.dumps(body)), 422)
    body["budget"]["currency"] = "USD"
    body["title"] = "\u0000" * 6
    assert_problem(api_as_client.post("/api/v1/jobs", json.dumps(body)), 422)
    assert not JobPost.objects.exists()


def test_long_idempotency_keys_fit_the_gateway(api_as_client):
    response = api_as_client.post(
        "/api/v1/wallet/deposits",
        json.dumps({"amount": {"amount": "10.00"}, "payment_method": "pm_card_visa"}),
        headers={"Idempotency-Key": "k" * 250},
    )
    assert response.status_code == 201


def test_media_follows_the_owners_visibility():
    profile = freelancer_with_profile(visibility=Visibility.PUBLIC)
    freelancer = profile.freelancer
    freelancer_set_photo(freelancer=freelancer, upload=png_upload())
    item = portfolio_item_save(
        freelancer=freelancer,
        title="Logo",
        description="",
        link="",
        skill_slugs=[],
        image=png_upload(),
    )
    photo, image = f"/media/{freelancer.photo.name}", f"/media/{item.image.name}"
    visitor, member = Client(), Client()
    member.force_login(client_user())
    assert visitor.get(photo).status_code == 200
    assert "public" not in visitor.get(photo)["Cache-Control"]
    freelancer_set_visibility(freelancer=freelancer, visibility=Visibility.MEMBERS)
    assert visitor.get(photo).status_code == 404
    assert member.get(image).status_code == 200
    freelancer_set_visibility(freelancer=freelancer, visibility=Visibility.PRIVATE)
    assert visitor.get(photo).status_code == 200  # the limited view of a private profile shows it
    assert member.get(image).status_code == 404


def test_documents_are_downloaded_not_rendered(db):
    from openlance.core.tests.files import pdf_upload
    from openlance.jobs.services import job_attachment_add

    job = job_post()
    attachment = job_attachment_add(job=job, upload=pdf_upload("brief.pdf"))
    response = Client().get(f"/media/{attachment.file.name}")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Security-Policy"] == "sandbox"


def test_hire_rate_counts_expired_posts_and_names_never_leak_emails(db):
    from openlance.contracts.tests.factories import contract_fixed
    from openlance.insights.selectors import client_signals

    client = client_user(first_name="", last_name="")
    contract_fixed(client=client)  # its post closes as hired
    job_post(client=client, state="expired")
    signals = client_signals(client=client)
    assert signals.hire_rate_percent == 50
    assert "@" not in signals.name
    assert client.email.split("@")[0] not in signals.name
    assert freelancer_user(first_name="", last_name="").public_name.startswith("Member ")
