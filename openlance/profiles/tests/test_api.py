import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from openlance.accounts.services import token_create
from openlance.catalog.models import Skill
from openlance.core.errors import MAX_ID
from openlance.core.tests.files import png_upload
from openlance.profiles.services import portfolio_item_save
from openlance.profiles.tests.factories import freelancer_with_profile

pytestmark = pytest.mark.django_db


def _put(profile, body):
    token = token_create(user=profile.freelancer.user, name="tests")[1]
    return Client().put(
        f"/api/v1/me/profiles/{profile.pk}",
        json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


@pytest.mark.parametrize("item_id", [2**70, MAX_ID + 1, 0, -1])
def test_portfolio_ids_no_row_can_have_are_refused_and_change_nothing(item_id):
    profile = freelancer_with_profile(title="Python developer")
    item = portfolio_item_save(
        freelancer=profile.freelancer,
        title="Shop",
        description="",
        link="https://example.com/shop",
        skill_slugs=[],
    )
    profile.portfolio_items.set([item])
    response = _put(profile, {"title": "Changed", "portfolio_item_ids": [item.pk, item_id]})
    assert response.status_code == 422, response.content
    profile.refresh_from_db()
    assert profile.title == "Python developer"
    assert list(profile.portfolio_items.all()) == [item]


def test_a_freelancers_queries_do_not_grow_with_skills():
    def queries(skill_count):
        profile = freelancer_with_profile()
        profile.skills.set(Skill.objects.order_by("pk")[:skill_count])
        with CaptureQueriesContext(connection) as ctx:
            response = Client().get(f"/api/v1/freelancers/{profile.freelancer.user_id}")
        assert response.status_code == 200
        assert len(response.json()["profiles"][0]["skills"]) == skill_count
        return len(ctx.captured_queries)

    assert queries(1) == queries(12)


def test_a_portfolio_item_takes_its_image_as_a_multipart_file():
    profile = freelancer_with_profile()
    token = token_create(user=profile.freelancer.user, name="tests")[1]
    response = Client().post(
        "/api/v1/me/portfolio",
        {"title": "Logo work", "description": "Brand marks", "image": png_upload()},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.content
    item = profile.freelancer.portfolio.get()
    assert item.title == "Logo work"
    assert item.image


def test_the_document_says_the_portfolio_image_is_a_file_in_the_multipart_body():
    operation = Client().get("/api/openapi.json").json()["paths"]["/api/v1/me/portfolio"]["post"]
    assert not [p for p in operation.get("parameters", []) if p["name"] == "image"]
    body = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    properties = body.get("properties") or {}
    if not properties and "$ref" in body:
        name = body["$ref"].rsplit("/", 1)[-1]
        document = Client().get("/api/openapi.json").json()
        properties = document["components"]["schemas"][name]["properties"]
    assert "image" in properties
