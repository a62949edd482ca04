import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from openlance.accounts.services import token_create
from openlance.catalog.models import Skill
from openlance.core.errors import MAX_ID
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
