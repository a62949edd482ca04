import json
from datetime import UTC, datetime

import pytest

from openlance.accounts.services import token_create, user_set_roles
from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.billing.models import SandboxOperation
from openlance.connects.models import ConnectsMove
from openlance.core.clock import frozen_at
from openlance.jobs.models import BudgetType, Duration, JobState, JobVisibility
from openlance.jobs.tests.factories import job_post
from openlance.ledger.models import Transfer

pytestmark = pytest.mark.usefixtures("assert_ledger_sound", "assert_connects_sound")

NOW = datetime(2026, 3, 10, 9, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _at_now(db):
    with frozen_at(NOW):
        yield


def _headers(user):
    return {"Authorization": f"Bearer {token_create(user=user, name='t')[1]}"}


@pytest.fixture
def freelancer():
    return freelancer_user()


@pytest.fixture
def auth(freelancer):
    return _headers(freelancer)


def _problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def _buy(client, auth, body, key="k1"):
    return client.post(
        "/api/v1/connects/purchases",
        json.dumps(body),
        content_type="application/json",
        headers={**auth, "Idempotency-Key": key},
    )


def test_summary_shows_balance_plan_and_policy_prices(client, auth):
    body = client.get("/api/v1/connects", headers=auth).json()
    assert body["balance"] == 20
    assert body["plan"] == "basic"
    assert body["connect_price"] == {"amount": "0.15", "currency": "USD"}
    assert {"connects": 40, "price": {"amount": "6.00", "currency": "USD"}} in body["bundles"]
    plus = next(plan for plan in body["plans"] if plan["name"] == "plus")
    assert plus["price"]["amount"] == "14.99"
    assert plus["balance_cap"] == 140
    assert body["expiry_days"] == 365


def test_purchase_is_201_and_a_replay_returns_the_first_answer(client, auth):
    first = _buy(client, auth, {"bundle": 60, "payment_method": "pm_card_visa"})
    assert first.status_code == 201, first.content
    assert first.json()["balance"] == 80
    assert first.json()["price"] == {"amount": "9.00", "currency": "USD"}
    again = _buy(client, auth, {"bundle": 60, "payment_method": "pm_card_visa"})
    assert again.json() == first.json()
    assert Transfer.objects.count() == 1
    assert SandboxOperation.objects.count() == 1


def test_purchase_errors_are_problems_and_change_nothing(client, auth):
    body = _problem(_buy(client, auth, {"bundle": 11, "payment_method": "pm_card_visa"}), 422)
    assert body["errors"] == [{"field": "bundle", "message": "Choose one of 10, 20, 40, 60, 80."}]
    _problem(_buy(client, auth, {"bundle": "ten", "payment_method": "pm_card_visa"}, "k2"), 422)
    _problem(_buy(client, auth, {"bundle": 10}, "k3"), 422)
    _problem(_buy(client, auth, {"bundle": 10, "payment_method": "pm_card_declined"}, "k4"), 402)
    assert not Transfer.objects.exists()
    assert not ConnectsMove.objects.filter(kind="purchase").exists()


def test_clients_cannot_buy_connects(client):
    auth = _headers(client_user())
    _problem(_buy(client, auth, {"bundle": 10, "payment_method": "pm_card_visa"}), 422)
    assert not SandboxOperation.objects.exists()


def test_anonymous_is_401(client):
    assert client.get("/api/v1/connects").status_code == 401
    assert client.get("/api/v1/connects/history").status_code == 401
    assert client.get("/api/v1/connects/cost", {"job_id": 1}).status_code == 401


def test_history_is_paginated(client, auth):
    _buy(client, auth, {"bundle": 10, "payment_method": "pm_card_visa"})
    page = client.get("/api/v1/connects/history", {"page_size": 1}, headers=auth).json()
    assert page["count"] == 2
    assert page["pages"] == 2
    assert page["items"][0]["kind"] == "purchase"
    assert page["items"][0]["reference"].startswith("charge:")
    _problem(client.get("/api/v1/connects/history", {"page_size": 0}, headers=auth), 422)


def test_plus_put_and_delete(client, auth):
    put = client.put(
        "/api/v1/connects/plan",
        json.dumps({"plan": "plus", "payment_method": "pm_card_visa"}),
        content_type="application/json",
        headers={**auth, "Idempotency-Key": "plus-1"},
    )
    assert put.status_code == 200, put.content
    assert put.json()["plan"] == "plus"
    assert put.json()["balance"] == 90
    assert put.json()["plus_renews"] is True
    cancelled = client.delete("/api/v1/connects/plan", headers=auth)
    assert cancelled.json()["plus_renews"] is False
    _problem(client.delete("/api/v1/connects/plan", headers=auth), 409)


def test_plus_declined_is_402_and_stays_basic(client, auth):
    response = client.put(
        "/api/v1/connects/plan",
        json.dumps({"plan": "plus", "payment_method": "pm_card_declined"}),
        content_type="application/json",
        headers=auth,
    )
    _problem(response, 402)
    assert client.get("/api/v1/connects", headers=auth).json()["plan"] == "basic"


def test_cost_of_a_visible_job_follows_the_policy(client, auth):
    hourly = job_post(
        budget_type=BudgetType.HOURLY,
        hourly_min_cents=2_000,
        hourly_max_cents=4_000,
        duration=Duration.ONE_TO_3_MONTHS,
    )
    body = client.get("/api/v1/connects/cost", {"job_id": hourly.pk}, headers=auth).json()
    assert body["connects"] == 6
    assert body["expected_job_value"] == {"amount": "4800.00", "currency": "USD"}
    assert body["rule"].startswith("by expected job value")
    small = job_post(budget_cents=4_000)
    assert (
        client.get("/api/v1/connects/cost", {"job_id": small.pk}, headers=auth).json()["connects"]
        == 2
    )


def test_cost_of_a_job_one_may_not_see_is_404(client, auth):
    draft = job_post(state=JobState.DRAFT)
    private = job_post(visibility=JobVisibility.INVITE_ONLY)
    for job_id in (draft.pk, private.pk, 999_999, 2**63):
        _problem(client.get("/api/v1/connects/cost", {"job_id": job_id}, headers=auth), 404)
    _problem(client.get("/api/v1/connects/cost", {"job_id": "x"}, headers=auth), 422)


def test_plus_can_be_cancelled_after_leaving_the_freelancer_role(client, freelancer, auth):
    client.put(
        "/api/v1/connects/plan",
        json.dumps({"plan": "plus", "payment_method": "pm_card_visa"}),
        content_type="application/json",
        headers={**auth, "Idempotency-Key": "plus-1"},
    )
    user_set_roles(user=freelancer, freelancer=False, client=True)
    cancelled = client.delete("/api/v1/connects/plan", headers=auth)
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["plus_renews"] is False
