from __future__ import annotations

import json
from dataclasses import replace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from openlance.accounts.services import token_create
from openlance.connects.selectors import connects_balance
from openlance.core.tests.files import pdf_bytes
from openlance.jobs.models import JobVisibility, ScreeningQuestion
from openlance.jobs.tests.factories import job_post
from openlance.profiles.tests.factories import client_with_profile
from openlance.proposals import api
from openlance.proposals.limits import PROPOSALS
from openlance.proposals.models import Invitation, InvitationState, Proposal, ProposalState
from openlance.proposals.services import invitation_accept, proposal_message, proposal_offer_made
from openlance.proposals.tests.factories import draft_for, funded_freelancer, invitation, proposal

pytestmark = pytest.mark.django_db

PDF = pdf_bytes()


class ApiClient:
    def __init__(self, user) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token_create(user=user, name='t')[1]}"}

    def get(self, path, **params):
        return self.client.get(path, params, headers=self.headers)

    def post(self, path, body=None, **headers):
        return self.client.post(
            path,
            json.dumps(body or {}),
            content_type="application/json",
            headers={**self.headers, **headers},
        )


def assert_problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def _body(**overrides):
    body = {
        "cover_letter": "I can do this well.",
        "bid_type": "fixed",
        "bid": {"amount": "300.00"},
        "duration": "less_than_1_month",
        "milestones": [
            {"description": "Design", "amount": {"amount": "100"}},
            {"description": "Build", "amount": {"amount": "200"}},
        ],
    }
    body.update(overrides)
    return body


def test_cost_then_submit_with_an_idempotency_key_charges_once():
    job = job_post()
    user = funded_freelancer()
    api = ApiClient(user)
    cost = api.get(f"/api/v1/jobs/{job.pk}/proposal-cost").json()
    assert cost == {
        "cost": 4,
        "policy_cost": 4,
        "balance": 40,
        "free_because_invited": False,
        "affordable": True,
    }
    body = _body(expected_cost=4)
    first = api.post(f"/api/v1/jobs/{job.pk}/proposals", body, **{"Idempotency-Key": "k1"})
    assert first.status_code == 201, first.content
    again = api.post(f"/api/v1/jobs/{job.pk}/proposals", body, **{"Idempotency-Key": "k1"})
    assert again.json()["id"] == first.json()["id"]
    data = first.json()
    assert data["state"] == "submitted"
    assert data["bid"] == {"amount": "300.00", "currency": "USD"}
    assert [m["amount"]["amount"] for m in data["milestones"]] == ["100.00", "200.00"]
    assert data["client"] is None
    assert data["shortlisted"] is None
    assert connects_balance(user=user) == 36
    dup = api.post(f"/api/v1/jobs/{job.pk}/proposals", body)
    assert assert_problem(dup, 409)["code"] == "conflict"
    assert connects_balance(user=user) == 36


def test_bad_input_is_a_problem_never_a_500():
    job = job_post()
    ScreeningQuestion.objects.create(job=job, position=1, text="Why you?")
    user = funded_freelancer()
    api = ApiClient(user)
    problem = assert_problem(api.post(f"/api/v1/jobs/{job.pk}/proposals", _body()), 422)
    assert {e["field"] for e in problem["errors"]} == {"answers"}
    assert_problem(api.post(f"/api/v1/jobs/{job.pk}/proposals", _body(bid={"amount": "x"})), 422)
    assert_problem(api.post(f"/api/v1/jobs/{job.pk}/proposals", _body(surprise=1)), 422)
    assert_problem(api.post("/api/v1/jobs/99999999999999999999/proposals", _body()), 404)
    assert_problem(api.post(f"/api/v1/jobs/{2**63}/proposals", _body()), 404)
    assert_problem(api.get("/api/v1/proposals", state="bogus"), 422)
    assert not Proposal.objects.exists()
    assert connects_balance(user=user) == 40


def test_invite_only_posts_are_404_without_an_invitation():
    job = job_post(visibility=JobVisibility.INVITE_ONLY)
    api = ApiClient(funded_freelancer())
    assert_problem(api.get(f"/api/v1/jobs/{job.pk}/proposal-cost"), 404)
    assert_problem(api.post(f"/api/v1/jobs/{job.pk}/proposals", _body()), 404)


def test_an_invite_only_post_reads_for_the_invited_freelancer_only():
    job = job_post(visibility=JobVisibility.INVITE_ONLY, title="Secret rebrand")
    invited = invitation(job=job).freelancer
    assert ApiClient(invited).get(f"/api/v1/jobs/{job.pk}").json()["title"] == "Secret rebrand"
    assert ApiClient(job.client).get(f"/api/v1/jobs/{job.pk}").status_code == 200
    assert_problem(ApiClient(funded_freelancer()).get(f"/api/v1/jobs/{job.pk}"), 404)
    assert_problem(Client().get(f"/api/v1/jobs/{job.pk}"), 404)


def test_mine_list_detail_withdraw_and_attachment():
    user = funded_freelancer()
    sent = proposal(freelancer=user)
    proposal(freelancer=funded_freelancer())
    api = ApiClient(user)
    page = api.get("/api/v1/proposals", state="submitted").json()
    assert (page["count"], page["items"][0]["id"]) == (1, sent.pk)
    upload = SimpleUploadedFile("plan.pdf", PDF, content_type="application/pdf")
    attached = api.client.post(
        f"/api/v1/proposals/{sent.pk}/attachments", {"file": upload}, headers=api.headers
    )
    assert attached.status_code == 201, attached.content
    assert api.get(f"/api/v1/proposals/{sent.pk}").json()["attachments"][0]["name"] == "plan.pdf"
    withdrawn = api.post(f"/api/v1/proposals/{sent.pk}/withdraw")
    assert withdrawn.json()["state"] == "withdrawn"
    assert_problem(api.post(f"/api/v1/proposals/{sent.pk}/withdraw"), 409)
    stranger = ApiClient(funded_freelancer())
    assert_problem(stranger.get(f"/api/v1/proposals/{sent.pk}"), 404)
    assert_problem(stranger.post(f"/api/v1/proposals/{sent.pk}/withdraw"), 404)


def test_client_tabs_actions_and_message_reveals_identity():
    job = job_post()
    sent = proposal(job=job)
    client = ApiClient(job.client)
    page = client.get(f"/api/v1/jobs/{job.pk}/proposals").json()
    assert [p["id"] for p in page["items"]] == [sent.pk]
    assert page["items"][0]["shortlisted"] is False
    assert client.post(f"/api/v1/proposals/{sent.pk}/shortlist").json()["shortlisted"] is True
    tab = client.get(f"/api/v1/jobs/{job.pk}/proposals", tab="shortlisted").json()
    assert tab["count"] == 1
    assert_problem(client.get(f"/api/v1/jobs/{job.pk}/proposals", tab="nope"), 422)
    freelancer = ApiClient(sent.freelancer)
    assert_problem(freelancer.get(f"/api/v1/jobs/{job.pk}/proposals"), 404)
    assert_problem(freelancer.post(f"/api/v1/proposals/{sent.pk}/shortlist"), 404)
    assert_problem(client.post(f"/api/v1/proposals/{sent.pk}/messages", {"body": ""}), 422)
    message = client.post(f"/api/v1/proposals/{sent.pk}/messages", {"body": "Let's talk"})
    assert message.status_code == 201, message.content
    seen = freelancer.get(f"/api/v1/proposals/{sent.pk}").json()
    assert seen["state"] == "active"
    assert seen["client"]["id"] == job.client.pk
    assert seen["conversation_id"] == message.json()["conversation_id"]
    declined = client.post(f"/api/v1/proposals/{sent.pk}/decline", {"reason": "Went another way"})
    assert declined.json()["state"] == "declined"
    assert_problem(client.post(f"/api/v1/proposals/{sent.pk}/archive"), 409)
    assert Proposal.objects.get(pk=sent.pk).state == ProposalState.DECLINED


def test_invitations_send_list_accept_free_and_decline():
    job = job_post(visibility=JobVisibility.INVITE_ONLY)
    user = funded_freelancer(connects=0)
    client = ApiClient(job.client)
    sent = client.post(
        f"/api/v1/jobs/{job.pk}/invitations", {"freelancer_id": user.pk, "message": "Join us"}
    )
    assert sent.status_code == 201, sent.content
    assert_problem(
        client.post(f"/api/v1/jobs/{job.pk}/invitations", {"freelancer_id": 10**9, "message": "x"}),
        404,
    )
    api = ApiClient(user)
    listed = api.get("/api/v1/invitations", state="pending").json()
    assert [i["id"] for i in listed["items"]] == [sent.json()["id"]]
    assert api.get(f"/api/v1/jobs/{job.pk}/proposal-cost").json()["cost"] == 0
    accepted = api.post(
        f"/api/v1/invitations/{sent.json()['id']}/accept",
        _body(bid={"amount": "500"}, milestones=[]),
    )
    assert accepted.status_code == 201, accepted.content
    assert accepted.json()["connects_cost"] == 0
    assert accepted.json()["invited"] is True

    other = invitation(freelancer=user)
    assert_problem(api.post(f"/api/v1/invitations/{other.pk}/decline", {"reason": "meh"}), 422)
    declined = api.post(f"/api/v1/invitations/{other.pk}/decline", {"reason": "too_busy"})
    assert declined.json()["state"] == "declined"
    assert Invitation.objects.get(pk=other.pk).state == InvitationState.DECLINED
    assert_problem(
        ApiClient(funded_freelancer()).post(
            f"/api/v1/invitations/{other.pk}/decline", {"reason": "too_busy"}
        ),
        404,
    )


def test_withdraw_or_decline_while_an_offer_is_out_is_a_409():
    sent = proposal()
    proposal_offer_made(proposal=sent)
    problem = assert_problem(
        ApiClient(sent.freelancer).post(f"/api/v1/proposals/{sent.pk}/withdraw"), 409
    )
    assert "decline the offer first" in problem["detail"]
    problem = assert_problem(
        ApiClient(sent.job.client).post(f"/api/v1/proposals/{sent.pk}/decline"), 409
    )
    assert "withdraw the offer first" in problem["detail"]
    assert Proposal.objects.get(pk=sent.pk).state == ProposalState.OFFER


def _queries(api, path):
    with CaptureQueriesContext(connection) as captured:
        response = api.get(path)
    assert response.status_code == 200, response.content
    return len(captured.captured_queries)


def test_lists_cost_the_same_queries_however_many_items():
    job = job_post(client=client_with_profile(company_name="Acme Ltd").user)
    user = funded_freelancer(connects=200)
    client_api, freelancer_api = ApiClient(job.client), ApiClient(user)
    # A first request does one-off work (the token's last use); keep it out of the counts.
    client_api.get("/api/v1/proposals")
    freelancer_api.get("/api/v1/proposals")
    counts = []
    for size in (2, 5):
        while Proposal.objects.filter(job=job).count() < size:
            sent = proposal(job=job)
            proposal_message(client=job.client, proposal=sent, body="Hello!")
            mine = proposal(freelancer=user)
            proposal_message(client=mine.job.client, proposal=mine, body="Hello!")
            invitation(freelancer=user)
            answered = invitation(freelancer=user)
            invitation_accept(freelancer=user, invitation=answered, draft=draft_for(answered.job))
        counts.append(
            (
                _queries(client_api, f"/api/v1/jobs/{job.pk}/proposals"),
                _queries(freelancer_api, "/api/v1/proposals"),
                _queries(freelancer_api, "/api/v1/invitations"),
            )
        )
    assert counts[0] == counts[1]
    page = client_api.get(f"/api/v1/jobs/{job.pk}/proposals").json()["items"]
    assert {item["client"]["company"] for item in page} == {"Acme Ltd"}
    assert all(item["conversation_id"] for item in page)
    invitations = freelancer_api.get("/api/v1/invitations").json()["items"]
    assert len([i for i in invitations if i["proposal_id"]]) == 5


def test_proposing_too_fast_is_a_429_problem_for_posts_and_invitations(monkeypatch):
    monkeypatch.setattr(api, "PROPOSALS", replace(PROPOSALS, rate="1/h"))
    user = funded_freelancer()
    freelancer_api = ApiClient(user)
    job = job_post()
    freelancer_api.get("/api/v1/proposals")
    assert freelancer_api.post(f"/api/v1/jobs/{job.pk}/proposals", _body()).status_code == 201
    other = job_post()
    problem = assert_problem(
        freelancer_api.post(f"/api/v1/jobs/{other.pk}/proposals", _body()), 429
    )
    assert problem["code"] == "rate_limited"
    invited = invitation(freelancer=user)
    assert_problem(freelancer_api.post(f"/api/v1/invitations/{invited.pk}/accept", _body()), 429)
    assert Proposal.objects.filter(freelancer=user).count() == 1
