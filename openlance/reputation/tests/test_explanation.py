"""The explanation of the score (SPEC §11), on the page and at GET /api/v1/me/jss: the
owner sees every counted contract with its weight, windows and outcome class, each window's
score, what moved it last and why, a what-if for each contract still waiting for its
client's feedback (running, or ended with the window open; no change for a flagged client's)
and the score over time. Neither names anybody in its URL, so each freelancer reaches only
their own: anyone else sees their own (no score yet), never the owner's; anonymous visitors
get the sign-in page or a 401; the client's private feedback appears nowhere. The owner
reaches it from the JSS badge on their profile page and from the account menu."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from openlance.accounts.tests.factories import UserFactory
from openlance.jobs.tests.factories import job_client
from openlance.reputation.tests.factories import (
    funded_freelancer,
    rated_contract,
    release,
    running_contract,
)
from openlance.reviews.services import client_feedback_flag
from openlance.reviews.tests.factories import Api, ended_contract

pytestmark = pytest.mark.django_db

# The client's private feedback on the neutral contract: why it ended, and 7 of 10.
PRIVATE_KEYS = {"recommend", "end_reason", "private"}
PRIVATE_TEXT = ("Deadlines were missed", "deadlines_missed", "7/10", "7 of 10", "recommend: 7")


def keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for item in value.values() for k in keys(item)}
    if isinstance(value, list):
        return {k for item in value for k in keys(item)}
    return set()


@pytest.fixture
def history():
    """A freelancer with a positive contract ($500), a neutral one ($300, recommend 7,
    ended because deadlines were missed) and a running one that paid $200."""
    freelancer = funded_freelancer()
    good = rated_contract(freelancer, paid_cents=50_000)
    meh = rated_contract(freelancer, paid_cents=30_000, recommend=7, end_reason="deadlines_missed")
    running = running_contract(freelancer=freelancer, amount_cents=20_000)
    release(running)
    return freelancer, good, meh, running


def page(client: Client, user) -> Any:
    client.force_login(user)
    return client.get(reverse("jss_explanation"))


def test_the_owner_sees_the_explanation(client, history):
    freelancer, good, meh, running = history
    response = page(client, freelancer)
    assert response.status_code == 200
    html = response.content.decode()
    assert "63%" in html  # 500 of 800 dollars positive
    for title in (good.title, meh.title):
        assert title in html
    assert good.client.display_name in html
    for shown in ("$500.00", "$300.00", "Positive", "Neutral"):
        assert shown in html
    assert "6, 12, 24 months" in html
    # What moved it last, and why.
    assert "A client&#x27;s feedback was revealed" in html or "feedback was revealed" in html
    assert "no score → 63%" in html
    # The what-if of the running contract: ended now with $200 paid.
    assert f"“{running.title}”" in html
    assert "if it ends positive → <strong>70%</strong>" in html  # 700 of 1,000
    assert "negative → <strong>50%</strong>" in html  # 500 of 1,000
    # The chart, with a text equivalent.
    assert "<svg" in html
    assert "<desc" in html
    assert "2 changes since" in html
    for secret in PRIVATE_TEXT:
        assert secret not in html


def test_the_empty_state_says_what_counts(client):
    freelancer = funded_freelancer()
    rated_contract(freelancer)
    html = page(client, freelancer).content.decode()
    assert "No score yet — here is what counts: <strong>1 of 2 contracts</strong> from " in html
    assert "<strong>1 of 2 clients</strong>" in html
    assert "never 0%" in html
    brand_new = funded_freelancer()
    html = page(client, brand_new).content.decode()
    assert "<strong>0 of 2 contracts</strong> from <strong>0 of 2 clients</strong>" in html


def test_others_see_only_their_own_and_anonymous_visitors_sign_in(client, history):
    freelancer, good, meh, running = history
    url = reverse("jss_explanation")
    assert url == "/profile/job-success/"
    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert reverse("account_login") in anonymous["Location"]
    stranger = funded_freelancer()
    html = page(client, stranger).content.decode()
    assert "<strong>0 of 2 contracts</strong>" in html
    for theirs in (good.title, meh.title, running.title, "63%"):
        assert theirs not in html
    # The client of the owner's contract, without the freelancer role: the role page.
    client.force_login(good.client)
    refused = client.get(url)
    assert refused.status_code == 403
    assert good.title not in refused.content.decode()
    assert "This page is for freelancers" in refused.content.decode()
    for method in ("post", "put", "delete"):
        client.force_login(freelancer)
        assert getattr(client, method)(url).status_code == 405


def test_the_profile_editor_links_to_it(client):
    freelancer = funded_freelancer()
    client.force_login(freelancer)
    html = client.get(reverse("profile_edit")).content.decode()
    assert reverse("jss_explanation") in html


def test_the_api_gives_the_same_content_without_the_private_part(history):
    freelancer, good, meh, running = history
    api = Api(freelancer)
    body = api.ok(api.get("/api/v1/me/jss"))
    assert body["score"] == 63
    assert [(w["months"], w["score"]) for w in body["windows"]] == [(6, 63), (12, 63), (24, 63)]
    assert body["minimum"] == {
        "contracts_counted": 2,
        "contracts_needed": 2,
        "clients_counted": 2,
        "clients_needed": 2,
        "met": True,
    }
    counted = {c["contract_id"]: c for c in body["contracts"]}
    assert counted[good.pk]["outcome"] == "positive"
    assert counted[meh.pk]["outcome"] == "neutral"
    assert counted[meh.pk]["weight"] == {"amount": "300.00", "currency": "USD"}
    assert counted[meh.pk]["windows"] == [6, 12, 24]
    assert counted[meh.pk]["basis"] == "feedback"
    assert body["what_if"] == [
        {
            "contract_id": running.pk,
            "title": running.title,
            "if_positive": 70,
            "if_negative": 50,
        }
    ]
    assert [c["contract_id"] for c in body["not_counted"]] == [running.pk]
    assert body["not_counted"][0]["basis"] == "running"
    assert body["moved"]["change"]["new_score"] == 63
    assert body["moved"]["change"]["reason"] == "feedback.revealed"
    assert body["history"][0]["contract_id"] == meh.pk
    text = str(body)
    assert not keys(body) & PRIVATE_KEYS
    for secret in PRIVATE_TEXT:
        assert secret not in text


def test_the_api_needs_a_signed_in_user_and_is_documented():
    response = Client().get("/api/v1/me/jss")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/problem+json")
    document = Client().get("/api/openapi.json").json()
    operation = document["paths"]["/api/v1/me/jss"]["get"]
    assert {"200", "401"} <= {str(status) for status in operation["responses"]}
    schemas = document["components"]["schemas"]
    assert schemas["JssContractOut"]["properties"]["outcome"]["anyOf"][0]["enum"] == [
        "positive",
        "neutral",
        "negative",
    ]


def test_a_client_without_freelance_work_has_no_score_yet():
    api = Api(job_client())
    body = api.ok(api.get("/api/v1/me/jss"))
    assert body["score"] is None
    assert body["contracts"] == []
    assert body["moved"] is None


def what_ifs(freelancer) -> dict[int, tuple[int | None, int | None]]:
    api = Api(freelancer)
    body = api.ok(api.get("/api/v1/me/jss"))
    return {w["contract_id"]: (w["if_positive"], w["if_negative"]) for w in body["what_if"]}


def test_an_ended_contract_has_a_what_if_while_its_feedback_window_is_open(client, history):
    freelancer, _, _, running = history
    waiting = ended_contract(freelancer=freelancer, paid_cents=100_000)  # no feedback yet
    # $500 positive and $300 neutral counted; the ended $1,000 one counts once rated.
    assert what_ifs(freelancer) == {running.pk: (70, 50), waiting.pk: (83, 28)}
    html = page(client, freelancer).content.decode()
    assert f"“{waiting.title}” ({waiting.client.display_name}, ended): if it ends positive" in html
    assert "→ <strong>83%</strong>; negative → <strong>28%</strong>" in html
    with time_machine.travel(waiting.ended_at + timedelta(days=14), tick=False):
        # The window has closed (revealed or not yet): no feedback can come any more.
        assert what_ifs(freelancer) == {running.pk: (70, 50)}


def test_a_flagged_clients_contract_has_a_what_if_that_changes_nothing(client, history):
    freelancer, _, _, running = history
    mediator = UserFactory(is_staff=True)
    mediator.groups.add(Group.objects.get(name="Mediator"))
    client_feedback_flag(staff=mediator, client=running.client, reason="Unfounded, again.")
    assert what_ifs(freelancer) == {running.pk: (63, 63)}
    html = page(client, freelancer).content.decode()
    assert "if it ends positive → <strong>63%</strong>; negative → <strong>63%</strong>" in html
    assert "This client's feedback does not count (flagged by staff)" in html


def test_the_owners_profile_badge_and_the_account_menu_link_to_it(client):
    freelancer = funded_freelancer()
    url = reverse("jss_explanation")
    profile_url = reverse("freelancer_detail", args=[freelancer.pk])
    client.force_login(freelancer)
    html = client.get(profile_url).content.decode()
    assert f'<a href="{url}" title="How your Job Success Score is made"' in html
    assert f'<li><a href="{url}">Job Success</a></li>' in html  # the account menu
    # Anyone else sees the badge without the link, and a client no menu entry.
    someone = job_client()
    client.force_login(someone)
    html = client.get(profile_url).content.decode()
    assert "No score yet" in html
    assert url not in html
