from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from openlance.accounts.services import token_create
from openlance.contracts.models import Contract, Offer, OfferState
from openlance.contracts.offers.services import offer_accept
from openlance.contracts.tests.factories import fixed_terms, offer
from openlance.core import clock
from openlance.jobs.models import JobState
from openlance.jobs.tests.factories import job_client, job_post
from openlance.profiles.tests.factories import freelancer_with_profile
from openlance.proposals.models import ProposalState
from openlance.proposals.tests.factories import funded_freelancer, proposal

pytestmark = pytest.mark.django_db


class ApiClient:
    def __init__(self, user) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token_create(user=user, name='t')[1]}"}

    def get(self, path, **params):
        return self.client.get(path, params, headers=self.headers)

    def send(self, method, path, body=None):
        return getattr(self.client, method)(
            path, json.dumps(body or {}), content_type="application/json", headers=self.headers
        )

    def post(self, path, body=None):
        return self.send("post", path, body)


def assert_problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def _terms(**overrides):
    body = {
        "kind": "fixed",
        "title": "Build the site",
        "start_date": clock.now().date().isoformat(),
        "milestones": [
            {
                "description": "Design",
                "amount": {"amount": "100.00"},
                "criteria": ["Mockups for phone and desktop"],
            },
            {"description": "Build", "amount": {"amount": "250"}},
        ],
        "message": "Welcome aboard.",
    }
    body.update(overrides)
    return body


def test_send_from_a_proposal_then_accept_starts_the_contract():
    pitch = proposal()
    as_client = ApiClient(pitch.job.client)
    sent = as_client.post("/api/v1/offers", _terms(proposal_id=pitch.pk))
    assert sent.status_code == 201, sent.content
    body = sent.json()
    assert body["state"] == "pending"
    assert body["revision"] == 1
    assert body["total"] == {"amount": "350.00", "currency": "USD"}
    assert body["milestones"][0]["criteria"] == ["Mockups for phone and desktop"]
    assert body["proposal_id"] == pitch.pk
    as_freelancer = ApiClient(pitch.freelancer)
    accepted = as_freelancer.post(f"/api/v1/offers/{body['id']}/accept", {"revision": 1})
    assert accepted.status_code == 201, accepted.content
    contract = Contract.objects.get()
    assert accepted.json()["contract_id"] == contract.pk
    assert accepted.json()["offer"]["state"] == "accepted"
    assert accepted.json()["offer"]["contract_id"] == contract.pk
    pitch.refresh_from_db()
    assert pitch.state == ProposalState.HIRED
    assert pitch.job.state == JobState.CLOSED_HIRED


def test_direct_hourly_offer():
    job = job_post(client=job_client(), budget_type="hourly")
    freelancer = freelancer_with_profile().freelancer.user
    sent = ApiClient(job.client).post(
        "/api/v1/offers",
        _terms(
            kind="hourly",
            milestones=[],
            job_id=job.pk,
            freelancer_id=freelancer.pk,
            hourly_rate={"amount": "45.50"},
            weekly_limit_hours=30,
            manual_time_allowed=True,
        ),
    )
    assert sent.status_code == 201, sent.content
    assert sent.json()["hourly_rate"]["amount"] == "45.50"
    assert sent.json()["weekly_limit_hours"] == 30
    assert sent.json()["total"] is None


def test_bad_input_is_a_problem_never_a_500():
    pitch = proposal()
    api = ApiClient(pitch.job.client)
    too_cheap = _terms(
        proposal_id=pitch.pk, milestones=[{"description": "x", "amount": {"amount": "4.99"}}]
    )
    problem = assert_problem(api.post("/api/v1/offers", too_cheap), 422)
    assert any(e["field"] == "milestones.0.amount" for e in problem["errors"])
    assert_problem(api.post("/api/v1/offers", _terms(proposal_id=pitch.pk, extra=1)), 422)
    assert_problem(api.post("/api/v1/offers", _terms(proposal_id=pitch.pk, kind="daily")), 422)
    assert_problem(api.post("/api/v1/offers", _terms()), 422)
    assert_problem(api.post("/api/v1/offers", _terms(proposal_id=2**70)), 404)
    assert_problem(api.post("/api/v1/offers", _terms(proposal_id=0)), 404)
    assert_problem(api.post("/api/v1/offers", _terms(title="x\x00y", proposal_id=pitch.pk)), 422)
    assert Offer.objects.count() == 0


def test_scoping_someone_elses_offer_is_404():
    pending = offer()
    stranger = ApiClient(funded_freelancer())
    assert_problem(stranger.get(f"/api/v1/offers/{pending.pk}"), 404)
    assert_problem(stranger.post(f"/api/v1/offers/{pending.pk}/accept", {"revision": 1}), 404)
    assert_problem(stranger.post(f"/api/v1/offers/{pending.pk}/decline"), 404)
    assert_problem(stranger.post(f"/api/v1/offers/{pending.pk}/withdraw"), 404)
    assert_problem(stranger.send("patch", f"/api/v1/offers/{pending.pk}", {"title": "Mine"}), 404)
    # Each side only does its own part.
    client_api = ApiClient(pending.client)
    freelancer_api = ApiClient(pending.freelancer)
    assert_problem(client_api.post(f"/api/v1/offers/{pending.pk}/accept", {"revision": 1}), 404)
    assert_problem(freelancer_api.post(f"/api/v1/offers/{pending.pk}/withdraw"), 404)
    assert_problem(freelancer_api.send("put", f"/api/v1/offers/{pending.pk}", _terms()), 404)
    assert_problem(client_api.get("/api/v1/offers/99999999"), 404)
    assert_problem(client_api.get(f"/api/v1/offers/{2**64}"), 404)
    pending.refresh_from_db()
    assert pending.state == OfferState.PENDING
    assert pending.title == "Build the website"


def test_lists_both_roles_with_the_pagination_envelope():
    pending = offer()
    other = offer(job=job_post(client=job_client()), freelancer=pending.freelancer)
    as_freelancer = ApiClient(pending.freelancer)
    page = as_freelancer.get("/api/v1/offers", page_size=1).json()
    assert page["count"] == 2
    assert page["pages"] == 2
    assert len(page["items"]) == 1
    assert as_freelancer.get("/api/v1/offers", role="client").json()["count"] == 0
    as_client = ApiClient(pending.client)
    mine = as_client.get("/api/v1/offers", role="client").json()
    assert [item["id"] for item in mine["items"]] == [pending.pk]
    assert ApiClient(other.client).get("/api/v1/offers", state="accepted").json()["count"] == 0
    assert_problem(as_client.get("/api/v1/offers", state="lost"), 422)
    assert_problem(as_client.get("/api/v1/offers", page_size=101), 422)


def test_patch_changes_some_terms_and_a_stale_accept_is_409():
    pending = offer()
    api = ApiClient(pending.client)
    patched = api.send("patch", f"/api/v1/offers/{pending.pk}", {"title": "Smaller scope"})
    assert patched.status_code == 200, patched.content
    assert patched.json()["revision"] == 2
    assert patched.json()["title"] == "Smaller scope"
    assert patched.json()["total"] == {"amount": "500.00", "currency": "USD"}
    stale = ApiClient(pending.freelancer).post(
        f"/api/v1/offers/{pending.pk}/accept", {"revision": 1}
    )
    assert assert_problem(stale, 409)["code"] == "conflict"
    assert Contract.objects.count() == 0
    to_hourly = api.send(
        "patch",
        f"/api/v1/offers/{pending.pk}",
        {
            "kind": "hourly",
            "milestones": [],
            "hourly_rate": {"amount": "30"},
            "weekly_limit_hours": 10,
        },
    )
    assert to_hourly.status_code == 200, to_hourly.content
    assert to_hourly.json()["kind"] == "hourly"
    assert to_hourly.json()["revision"] == 3


def test_put_replaces_the_terms():
    pending = offer()
    replaced = ApiClient(pending.client).send(
        "put", f"/api/v1/offers/{pending.pk}", _terms(title="Replaced")
    )
    assert replaced.status_code == 200, replaced.content
    assert replaced.json()["title"] == "Replaced"
    assert len(replaced.json()["milestones"]) == 2
    assert_problem(
        ApiClient(pending.client).send("put", f"/api/v1/offers/{pending.pk}", {"title": "x"}), 422
    )


def test_withdraw_and_decline_then_no_more_changes():
    first = offer()
    withdrawn = ApiClient(first.client).post(f"/api/v1/offers/{first.pk}/withdraw")
    assert withdrawn.json()["state"] == "withdrawn"
    again = ApiClient(first.client).post(f"/api/v1/offers/{first.pk}/withdraw")
    assert assert_problem(again, 409)["code"] == "invalid_transition"
    second = offer()
    declined = ApiClient(second.freelancer).post(
        f"/api/v1/offers/{second.pk}/decline", {"reason": "Booked up"}
    )
    assert declined.json()["state"] == "declined"
    assert declined.json()["decline_reason"] == "Booked up"
    assert_problem(
        ApiClient(second.freelancer).post(f"/api/v1/offers/{second.pk}/accept", {"revision": 1}),
        409,
    )
    assert_problem(
        ApiClient(second.freelancer).post(f"/api/v1/offers/{second.pk}/accept", {"revision": 0}),
        422,
    )


def test_expired_offers_show_as_expired():
    start = clock.now()
    with clock.frozen_at(start):
        pending = offer()
    from openlance.contracts.offers.services import offer_expiry_run_due

    offer_expiry_run_due(now=start + timedelta(days=30))
    assert ApiClient(pending.freelancer).get(f"/api/v1/offers/{pending.pk}").json()["state"] == (
        "expired"
    )


def test_closing_a_post_with_a_hire_through_the_api_is_refused():
    job = job_post(client=job_client())
    api = ApiClient(job.client)
    problem = assert_problem(api.post(f"/api/v1/jobs/{job.pk}/close", {"hired": True}), 422)
    assert problem["errors"][0]["field"] == "hired"
    job.refresh_from_db()
    assert job.state == JobState.OPEN
    closed = api.post(f"/api/v1/jobs/{job.pk}/close")
    assert closed.status_code == 200, closed.content
    job.refresh_from_db()
    assert job.state == JobState.CLOSED_NO_HIRE


@pytest.mark.parametrize("field", ["title", "kind", "start_date", "milestones"])
def test_patch_with_a_required_term_null_is_a_422_and_changes_nothing(field):
    pending = offer()
    response = ApiClient(pending.client).send(
        "patch", f"/api/v1/offers/{pending.pk}", {field: None}
    )
    problem = assert_problem(response, 422)
    assert [error["field"] for error in problem["errors"]] == [field]
    unchanged = Offer.objects.get(pk=pending.pk)
    assert unchanged.revision == 1
    assert unchanged.title == pending.title


def test_listing_offers_costs_the_same_queries_for_one_offer_or_six():
    client = job_client()
    offer(client=client)
    api = ApiClient(client)
    api.get("/api/v1/offers")  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as one:
        assert api.get("/api/v1/offers").status_code == 200
    for _ in range(5):
        offer(client=client)
    accepted = offer(client=client, terms=fixed_terms(keep_post_open=True))
    offer_accept(freelancer=accepted.freelancer, offer=accepted, revision=1)
    with CaptureQueriesContext(connection) as seven:
        listed = api.get("/api/v1/offers")
    assert len(listed.json()["items"]) == 7
    assert listed.json()["items"][0]["contract_id"] is not None
    assert len(seven) == len(one)


def test_a_deactivated_freelancer_gets_no_direct_offer():
    job = job_post(client=job_client())
    freelancer = freelancer_with_profile().freelancer.user
    freelancer.is_active = False
    freelancer.save(update_fields=["is_active"])
    sent = ApiClient(job.client).post(
        "/api/v1/offers", _terms(job_id=job.pk, freelancer_id=freelancer.pk)
    )
    assert_problem(sent, 404)
    assert Offer.objects.count() == 0
