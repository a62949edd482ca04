"""The contracts and milestones API: reads scoped to the two parties, every action, errors
as problem+json, Idempotency-Key replays."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from openlance.accounts.services import token_create
from openlance.accounts.tests.factories import client_user
from openlance.contracts.models import Milestone
from openlance.contracts.tests.factories import contract_fixed
from openlance.core.tests.files import pdf_bytes
from openlance.ledger.models import Transfer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("assert_ledger_sound")]

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

    def multipart(self, path, data):
        return self.client.post(path, data, headers=self.headers)


def assert_problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def first_id(contract) -> int:
    return contract.milestones.order_by("position")[0].pk


def test_contract_list_and_detail_for_both_parties_only():
    contract = contract_fixed((50_000, 20_000))
    for user, role in ((contract.client, "client"), (contract.freelancer, "freelancer")):
        api = ApiClient(user)
        page = api.get("/api/v1/contracts").json()
        assert page["count"] == 1
        assert page["items"][0]["role"] == role
        detail = api.get(f"/api/v1/contracts/{contract.pk}").json()
        assert [m["amount"]["amount"] for m in detail["milestones"]] == ["500.00", "200.00"]
        assert detail["total"] == {"amount": "700.00", "currency": "USD"}
    assert (
        ApiClient(contract.client).get("/api/v1/contracts", role="freelancer").json()["count"] == 0
    )
    outsider = ApiClient(client_user())
    assert outsider.get("/api/v1/contracts").json()["count"] == 0
    assert_problem(outsider.get(f"/api/v1/contracts/{contract.pk}"), 404)
    assert_problem(
        outsider.post(
            f"/api/v1/milestones/{first_id(contract)}/fund", {"payment_method": "balance"}
        ),
        404,
    )
    assert_problem(outsider.get("/api/v1/contracts/99999999999999999999"), 404)


def test_the_full_flow_fund_submit_changes_resubmit_partial_approve():
    contract = contract_fixed((60_000, 20_000))
    client, freelancer = ApiClient(contract.client), ApiClient(contract.freelancer)
    mid = first_id(contract)
    funded = client.post(
        f"/api/v1/milestones/{mid}/fund",
        {"payment_method": "pm_card_visa"},
        **{"Idempotency-Key": "fund-1"},
    )
    assert funded.status_code == 200, funded.content
    assert funded.json()["state"] == "funded"
    assert funded.json()["in_escrow"]["amount"] == "600.00"
    replay = client.post(
        f"/api/v1/milestones/{mid}/fund",
        {"payment_method": "pm_card_visa"},
        **{"Idempotency-Key": "fund-1"},
    )
    assert replay.status_code == 200
    assert Transfer.objects.filter(kind="milestone_fund").count() == 1

    criterion = contract.milestones.get(pk=mid).criteria.first().pk
    submitted = freelancer.multipart(
        f"/api/v1/milestones/{mid}/submit",
        {
            "message": "Done",
            "criteria_met": [criterion],
            "files": [SimpleUploadedFile("work.pdf", PDF)],
        },
    )
    assert submitted.status_code == 200, submitted.content
    body = submitted.json()
    assert body["state"] == "submitted"
    assert body["submissions"][0]["criteria_met"] == [criterion]
    assert body["submissions"][0]["files"][0]["name"] == "work.pdf"
    download = Client()
    download.force_login(contract.client)
    assert download.get(body["submissions"][0]["files"][0]["url"]).status_code == 200

    changed = client.post(f"/api/v1/milestones/{mid}/request-changes", {"message": "More"})
    assert changed.json()["state"] == "changes_requested"
    again = freelancer.multipart(f"/api/v1/milestones/{mid}/submit", {"message": "Again"})
    assert again.json()["state"] == "submitted"

    approved = client.post(
        f"/api/v1/milestones/{mid}/approve",
        {"amount": {"amount": "500.00"}, "remainder": "keep"},
        **{"Idempotency-Key": "approve-1"},
    )
    assert approved.status_code == 200, approved.content
    out = approved.json()
    assert out["state"] == "approved"
    assert out["releases"][0]["fee"]["amount"] == "100.00"
    assert out["releases"][0]["net"]["amount"] == "400.00"
    assert out["carried_out"]["amount"] == "100.00"
    following = Milestone.objects.get(contract=contract, position=2)
    assert following.in_escrow_cents == 10_000


def test_api_errors_are_problems_and_change_nothing():
    contract = contract_fixed((50_000,))
    client, freelancer = ApiClient(contract.client), ApiClient(contract.freelancer)
    mid = first_id(contract)
    problem = assert_problem(
        client.post(f"/api/v1/milestones/{mid}/fund", {"payment_method": "pm_card_declined"}), 402
    )
    assert problem["code"] == "payment_declined"
    assert_problem(
        client.post(f"/api/v1/milestones/{mid}/fund", {"payment_method": "balance"}), 409
    )
    assert_problem(
        client.post(f"/api/v1/milestones/{mid}/fund", {"payment_method": "balance", "x": 1}), 422
    )
    unfunded = assert_problem(
        freelancer.multipart(f"/api/v1/milestones/{mid}/submit", {"message": "Hi"}), 409
    )
    assert unfunded["errors"][0]["field"] == "acknowledge_unfunded"
    assert_problem(freelancer.post(f"/api/v1/milestones/{mid}/submit", {"message": "Hi"}), 422)
    assert_problem(
        freelancer.multipart(
            f"/api/v1/milestones/{mid}/submit", {"message": "Hi", "criteria_met": ["x"]}
        ),
        422,
    )
    assert_problem(client.post(f"/api/v1/milestones/{mid}/approve", {"remainder": "burn"}), 422)
    assert_problem(client.post(f"/api/v1/milestones/{mid}/approve", {}), 409)
    assert_problem(client.post(f"/api/v1/milestones/{mid}/request-changes", {"message": ""}), 422)
    assert Transfer.objects.filter(kind__in=["milestone_fund", "milestone_release"]).count() == 0
    assert Milestone.objects.get(pk=mid).state == "not_funded"


def test_amendments_and_ending_through_the_api():
    contract = contract_fixed((50_000,))
    client, freelancer = ApiClient(contract.client), ApiClient(contract.freelancer)
    created = freelancer.post(
        f"/api/v1/contracts/{contract.pk}/amendments",
        {"description": "Extra page", "amount": {"amount": "150"}, "criteria": ["Responsive"]},
    )
    assert created.status_code == 201, created.content
    amendment = created.json()["id"]
    assert_problem(freelancer.post(f"/api/v1/amendments/{amendment}/accept"), 409)
    accepted = client.post(f"/api/v1/amendments/{amendment}/accept")
    assert accepted.json()["state"] == "accepted"
    assert contract.milestones.count() == 2
    assert_problem(client.post(f"/api/v1/amendments/{amendment}/decline"), 409)
    too_small = client.post(
        f"/api/v1/contracts/{contract.pk}/amendments",
        {"description": "x", "amount": {"amount": "1"}},
    )
    assert assert_problem(too_small, 422)["errors"][0]["field"] == "amount"
    withdrawn = client.post(
        f"/api/v1/contracts/{contract.pk}/amendments",
        {"description": "Logo", "amount": {"amount": "50"}},
    ).json()["id"]
    assert client.post(f"/api/v1/amendments/{withdrawn}/withdraw").json()["state"] == "withdrawn"

    assert_problem(client.post(f"/api/v1/contracts/{contract.pk}/end"), 409)
    for milestone in contract.milestones.all():
        assert client.post(f"/api/v1/milestones/{milestone.pk}/cancel").status_code == 200
    ended = client.post(f"/api/v1/contracts/{contract.pk}/end")
    assert ended.json()["state"] == "ended"


def test_openapi_lists_the_contract_and_milestone_operations(client):
    schema = client.get("/api/openapi.json").json()
    tags = {
        path: {tag for operation in item.values() for tag in operation.get("tags", [])}
        for path, item in schema["paths"].items()
    }
    assert tags["/api/v1/contracts"] == {"contracts"}
    assert tags["/api/v1/milestones/{milestone_id}/approve"] == {"milestones"}
    submit = schema["paths"]["/api/v1/milestones/{milestone_id}/submit"]["post"]
    assert "multipart/form-data" in submit["requestBody"]["content"]


def test_an_approval_replayed_with_its_idempotency_key_answers_the_same():
    contract = contract_fixed((50_000,))
    client, freelancer = ApiClient(contract.client), ApiClient(contract.freelancer)
    mid = first_id(contract)
    client.post(f"/api/v1/milestones/{mid}/fund", {"payment_method": "pm_card_visa"})
    freelancer.multipart(f"/api/v1/milestones/{mid}/submit", {"message": "Done"})
    once = client.post(f"/api/v1/milestones/{mid}/approve", {}, **{"Idempotency-Key": "a-1"})
    twice = client.post(f"/api/v1/milestones/{mid}/approve", {}, **{"Idempotency-Key": "a-1"})
    assert once.status_code == twice.status_code == 200
    assert once.json() == twice.json()
    assert Transfer.objects.filter(kind="milestone_release").count() == 1
    assert_problem(client.post(f"/api/v1/milestones/{mid}/approve", {}), 409)
