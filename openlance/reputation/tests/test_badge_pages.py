"""The badges as people see them (SPEC §12): the owner's page (/profile/badges/) and
GET /api/v1/me/badges list each criterion with the value it requires, the owner's and
whether it is met; neither names anybody in its URL, so each freelancer reaches only their
own (anyone else sees their own, a client the freelancer role offered or a 422, anonymous
visitors the sign-in page or a 401). What each badge takes is public (/badges/). Profiles
and search results show badges by name, each linked to its criteria."""

from __future__ import annotations

import pytest
from django.urls import reverse

from openlance.jobs.tests.factories import job_client
from openlance.profiles.badges import Badge
from openlance.reputation.services import badges_run_due
from openlance.reputation.tests.factories import funded_freelancer
from openlance.reputation.tests.test_badge_services import rising_talent
from openlance.reviews.tests.factories import Api

pytestmark = pytest.mark.django_db

PAGE = "/profile/badges/"


def test_the_owner_sees_each_criterion_with_their_value(client):
    user = rising_talent()
    badges_run_due(now=user.last_login)
    client.force_login(user)
    response = client.get(reverse("badges_mine"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Your badges</h1>" in html
    for badge in Badge:
        assert f'id="{badge.value}"' in html
    assert "✓ All criteria met" in html  # Rising Talent
    assert "Profile 100% complete" in html
    assert (
        'Required: 13 of the last 16 weeks · You: <span data-testid="actual">0 of 16 weeks' in html
    )
    assert "Earned Rising Talent" in html  # the history
    assert "30 Connects, once per account" in html
    assert 'class="meter' in html


def test_nobody_else_reaches_the_owners_badges(client):
    owner = rising_talent()
    badges_run_due(now=owner.last_login)
    # Another freelancer sees their own criteria, none met from the owner's facts.
    other = funded_freelancer()
    client.force_login(other)
    html = client.get(PAGE).content.decode()
    assert "No badge yet" in html
    assert "Earned Rising Talent" not in html
    # There is no page that names a freelancer.
    assert client.get(f"/profile/badges/{owner.pk}/").status_code == 404
    # A client is offered the freelancer role; a visitor is sent to sign in.
    client.force_login(job_client())
    html = client.get(PAGE).content.decode()
    assert "Earned Rising Talent" not in html
    assert "Profile 100% complete" not in html
    client.logout()
    response = client.get(PAGE)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_criteria_are_public(client):
    html = client.get(reverse("badge_criteria")).content.decode()
    assert "<h1>Badges</h1>" in html
    for name in ("Rising Talent", "Top Rated", "Top Rated Plus"):
        assert f">{name}</h2>" in html
    assert "90% or more in 13 of the last 16 weekly snapshots" in html
    assert "$5,000.00" in html
    assert "You:" not in html
    assert "Not yet" not in html


def test_profiles_and_search_show_badge_names_linked_to_their_criteria(client):
    user = rising_talent()
    badges_run_due(now=user.last_login)
    criteria = reverse("badge_criteria")
    client.force_login(job_client())
    profile = client.get(reverse("freelancer_detail", args=[user.pk])).content.decode()
    assert f'href="{criteria}#rising_talent"' in profile
    assert ">Rising Talent</a>" in profile
    assert ">rising_talent<" not in profile
    results = client.get(reverse("search_freelancers"), {"badges": "rising_talent"})
    html = results.content.decode()
    assert f'href="{criteria}#rising_talent"' in html
    assert ">Rising Talent</a>" in html
    # The owner's badge leads to their own progress, and the menu to the page.
    client.force_login(user)
    profile = client.get(reverse("freelancer_detail", args=[user.pk])).content.decode()
    assert f'href="{reverse("badges_mine")}#rising_talent"' in profile
    assert f'<li><a href="{reverse("badges_mine")}">Badges</a></li>' in profile


def test_the_api_lists_each_criterion_for_the_freelancer_only(client):
    user = rising_talent()
    badges_run_due(now=user.last_login)
    body = Api(user).ok(Api(user).get("/api/v1/me/badges"))
    assert body["on_profile"] == ["rising_talent"]
    assert [b["badge"] for b in body["badges"]] == [badge.value for badge in Badge]
    rising = body["badges"][0]
    assert (rising["name"], rising["criteria_met"], rising["on_profile"]) == (
        "Rising Talent",
        True,
        True,
    )
    weeks = next(c for c in body["badges"][1]["criteria"] if c["key"] == "jss_weeks")
    assert (weeks["actual"], weeks["of"], weeks["actual_label"], weeks["met"]) == (
        0,
        16,
        "0 of 16 weeks",
        False,
    )
    assert body["history"][0]["badge"] == "rising_talent"
    assert body["history"][0]["earned"]
    assert body["rising_talent_grant"] == 30
    as_client = Api(job_client())
    refused = as_client.get("/api/v1/me/badges")
    assert refused.status_code == 422
    assert refused["Content-Type"] == "application/problem+json"
    anonymous = client.get("/api/v1/me/badges")
    assert anonymous.status_code == 401


def test_the_profile_api_lists_badges_as_slugs(client):
    user = rising_talent()
    badges_run_due(now=user.last_login)
    body = client.get(f"/api/v1/freelancers/{user.pk}").json()
    assert body["badges"] == ["rising_talent"]
    found = client.get("/api/v1/search/freelancers", {"badge": "rising_talent"})
    assert [item["user_id"] for item in found.json()["items"]] == [user.pk]
    assert client.get("/api/v1/search/freelancers", {"badge": "expert_vetted"}).status_code == 422
