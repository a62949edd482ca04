import csv
import io

import pytest

from openlance.accounts.services import token_create
from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.billing.models import Payout, WithdrawalMethod
from openlance.billing.tests.payout_helpers import (
    available,
    balance,
    pending_earning,
    usable_method,
)
from openlance.core import clock
from openlance.ledger.models import AccountKind, Transfer
from openlance.ledger.services import account_for, transfer_post

pytestmark = pytest.mark.usefixtures("assert_ledger_sound")


def _auth(user):
    return {"Authorization": f"Bearer {token_create(user=user, name='t')[1]}"}


def _problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    return response.json()


def test_wallet_shows_pending_available_and_escrow(client):
    user = freelancer_user()
    available(user, 10_000, 1)
    pending_earning(user, 2_500, 2)
    body = client.get("/api/v1/wallet", headers=_auth(user)).json()
    assert body["pending"] == {"amount": "25.00", "currency": "USD"}
    assert body["available"]["amount"] == "100.00"
    assert body["escrow"]["amount"] == "0.00"


def test_client_wallet_counts_the_escrow_of_their_contracts(client):
    buyer, seller = client_user(), freelancer_user()
    funding = account_for(kind=AccountKind.CLIENT_FUNDING, owner=buyer)
    transfer_post(
        key="t:deposit",
        kind="deposit",
        description="Deposit",
        legs=[(account_for(kind=AccountKind.GATEWAY_CLEARING), -60_000), (funding, 60_000)],
    )
    transfer_post(
        key="milestone:1:fund",
        kind="milestone_fund",
        description="Funded milestone 1",
        legs=[
            (funding, -53_000),
            (account_for(kind=AccountKind.CONTRACT_ESCROW, reference="contract:1"), 50_000),
            (account_for(kind=AccountKind.PLATFORM_FEE_REVENUE), 3_000),
        ],
        metadata={
            "client_id": buyer.pk,
            "freelancer_id": seller.pk,
            "amount_cents": 50_000,
            "marketplace_fee_cents": 2_500,
            "initiation_fee_cents": 500,
        },
        client=buyer,
        freelancer=seller,
    )
    body = client.get("/api/v1/wallet", headers=_auth(buyer)).json()
    assert body["escrow"]["amount"] == "500.00"
    assert body["client_funding"]["amount"] == "70.00"
    assert client.get("/api/v1/wallet", headers=_auth(seller)).json()["escrow"]["amount"] == (
        "500.00"
    )
    items = client.get("/api/v1/wallet/transactions", headers=_auth(buyer)).json()["items"]
    fund = next(item for item in items if item["kind"] == "milestone_fund")
    assert [(line["label"], line["amount"]["amount"]) for line in fund["breakdown"]] == [
        ("Milestone amount", "500.00"),
        ("Marketplace fee", "25.00"),
        ("Contract initiation fee", "5.00"),
    ]
    assert client.get("/api/v1/wallet", headers=_auth(client_user())).json()["escrow"] == {
        "amount": "0.00",
        "currency": "USD",
    }


def test_transactions_carry_the_release_breakdown(client):
    user = freelancer_user()
    pending_earning(user, 10_000)
    items = client.get("/api/v1/wallet/transactions", headers=_auth(user)).json()["items"]
    release = next(item for item in items if item["kind"] == "milestone_release")
    assert [line["label"] for line in release["breakdown"]] == [
        "Gross",
        "Service fee",
        "Net to freelancer",
    ]


def test_export_csv_streams_only_the_users_own_transactions(client):
    user, other = freelancer_user(), freelancer_user()
    available(user, 10_000)
    available(other, 7_777)
    response = client.get("/api/v1/wallet/export.csv", headers=_auth(user))
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["date_utc", "transfer_id", "kind"]
    kinds = [row[2] for row in rows[1:]]
    assert kinds == ["milestone_release", "earning_available", "earning_available"]
    assert "77.77" not in "".join(",".join(r) for r in rows)


def test_export_needs_authentication(client):
    assert client.get("/api/v1/wallet/export.csv").status_code == 401


def test_methods_add_list_default_and_remove(client):
    user = freelancer_user()
    headers = _auth(user)
    kinds = client.get("/api/v1/payouts/method-kinds", headers=headers).json()
    assert {k["kind"]: k["fee"]["amount"] for k in kinds}["wire"] == "30.00"
    created = client.post(
        "/api/v1/payouts/methods",
        {"kind": "wire", "destination": "ba_wire1", "last4": "4321"},
        content_type="application/json",
        headers=headers,
    )
    assert created.status_code == 201
    body = created.json()
    assert body["is_default"] is True
    assert body["usable"] is False
    assert body["fee"]["amount"] == "30.00"
    assert "destination" not in body
    second = client.post(
        "/api/v1/payouts/methods",
        {"kind": "ach", "destination": "ba_ach1", "last4": "1111"},
        content_type="application/json",
        headers=headers,
    ).json()
    made = client.post(f"/api/v1/payouts/methods/{second['id']}/default", headers=headers)
    assert made.json()["is_default"] is True
    assert client.delete(f"/api/v1/payouts/methods/{body['id']}", headers=headers).status_code == (
        204
    )
    listed = client.get("/api/v1/payouts/methods", headers=headers).json()
    assert [m["id"] for m in listed] == [second["id"]]


def test_method_errors_are_problems(client):
    user = freelancer_user()
    problem = _problem(
        client.post(
            "/api/v1/payouts/methods",
            {"kind": "gold", "destination": "not a token", "last4": "12"},
            content_type="application/json",
            headers=_auth(user),
        ),
        422,
    )
    assert {e["field"] for e in problem["errors"]} == {"kind", "destination", "last4"}
    assert not WithdrawalMethod.objects.exists()
    other = freelancer_user()
    method = usable_method(other)
    _problem(client.delete(f"/api/v1/payouts/methods/{method.pk}", headers=_auth(user)), 404)
    _problem(
        client.delete("/api/v1/payouts/methods/99999999999999999999", headers=_auth(user)), 404
    )
    method.refresh_from_db()
    assert method.removed_at is None


def test_settings_get_and_put(client):
    user = freelancer_user()
    headers = _auth(user)
    assert client.get("/api/v1/payouts/settings", headers=headers).json()["schedule"] == "quarterly"
    put = client.put(
        "/api/v1/payouts/settings",
        {"schedule": "weekly", "threshold": {"amount": "250.00"}},
        content_type="application/json",
        headers=headers,
    )
    assert put.status_code == 200
    assert put.json()["threshold"]["amount"] == "250.00"
    low = client.put(
        "/api/v1/payouts/settings",
        {"schedule": "weekly", "threshold": {"amount": "99.99"}},
        content_type="application/json",
        headers=headers,
    )
    assert _problem(low, 422)["errors"][0]["field"] == "threshold"
    assert client.get("/api/v1/payouts/settings", headers=headers).json()["threshold"] == {
        "amount": "250.00",
        "currency": "USD",
    }


def test_get_paid_now_with_idempotency_key_replays(client):
    user = freelancer_user()
    usable_method(user)
    available(user, 50_000)
    headers = {**_auth(user), "Idempotency-Key": "withdraw-1"}

    def post():
        return client.post(
            "/api/v1/payouts",
            {"amount": {"amount": "120.00"}},
            content_type="application/json",
            headers=headers,
        )

    first, second = post(), post()
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert first.json()["status"] == "in_transit"
    assert Payout.objects.count() == 1
    assert balance(user, AccountKind.FREELANCER_AVAILABLE) == 38_000
    listed = client.get("/api/v1/payouts", headers=_auth(user)).json()
    assert listed["count"] == 1
    assert listed["items"][0]["net"]["amount"] == "120.00"
    one = client.get(f"/api/v1/payouts/{first.json()['id']}", headers=_auth(user))
    assert one.status_code == 200


def test_get_paid_now_refusals(client):
    user = freelancer_user()
    usable_method(user)
    available(user, 5_000)
    too_much = client.post(
        "/api/v1/payouts",
        {"amount": {"amount": "50.01"}},
        content_type="application/json",
        headers=_auth(user),
    )
    assert _problem(too_much, 409)["code"] == "insufficient_funds"
    bad = client.post(
        "/api/v1/payouts",
        {"amount": {"amount": "abc"}},
        content_type="application/json",
        headers=_auth(user),
    )
    assert bad.status_code == 422
    assert not Payout.objects.exists()
    assert not Transfer.objects.filter(kind="withdrawal").exists()


def test_someone_elses_payout_is_404(client):
    owner = freelancer_user()
    usable_method(owner)
    available(owner, 50_000)
    with clock.frozen_at(clock.now()):
        payout = client.post(
            "/api/v1/payouts",
            {"amount": {"amount": "100.00"}},
            content_type="application/json",
            headers=_auth(owner),
        ).json()
    _problem(client.get(f"/api/v1/payouts/{payout['id']}", headers=_auth(freelancer_user())), 404)
    assert client.get("/api/v1/payouts", headers=_auth(freelancer_user())).json()["count"] == 0


def test_export_neutralises_spreadsheet_formulas(client):
    user = freelancer_user()
    transfer_post(
        key="t:formula",
        kind="deposit",
        description="=HYPERLINK(evil)",
        legs=[
            (account_for(kind=AccountKind.GATEWAY_CLEARING), -100),
            (account_for(kind=AccountKind.FREELANCER_AVAILABLE, owner=user), 100),
        ],
    )
    response = client.get("/api/v1/wallet/export.csv", headers=_auth(user))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][3] == "'=HYPERLINK(evil)"
