import json

import pytest

from openlance.accounts.models import PersonalAccessToken
from openlance.accounts.services import token_create
from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.api.tests.conftest import ApiClient, assert_problem
from openlance.billing.tests.factories import paid_for_work


def test_me_update_and_role_switch(api_as_freelancer, freelancer_account):
    response = api_as_freelancer.patch(
        "/api/v1/me", json.dumps({"first_name": "Ada", "last_name": "Lovelace"})
    )
    assert response.json()["public_name"] == "Ada L."
    switched = api_as_freelancer.post("/api/v1/me/role", json.dumps({"role": "client"})).json()
    assert switched["active_role"] == "client"
    assert switched["roles"] == ["freelancer", "client"]
    assert_problem(api_as_freelancer.post("/api/v1/me/role", json.dumps({"role": "admin"})), 422)


def test_tokens_create_list_revoke(api_as_freelancer, freelancer_account):
    created = api_as_freelancer.post("/api/v1/tokens", json.dumps({"name": "laptop"}))
    assert created.status_code == 201
    secret = created.json()["token"]
    listing = api_as_freelancer.get("/api/v1/tokens").json()
    assert listing["count"] == 2
    assert {"items", "count", "page", "page_size", "pages"} <= listing.keys()
    assert all("token" not in item for item in listing["items"])
    assert ApiClient(secret).get("/api/v1/me").status_code == 200
    token_id = created.json()["id"]
    assert api_as_freelancer.delete(f"/api/v1/tokens/{token_id}").status_code == 204
    assert ApiClient(secret).get("/api/v1/me").status_code == 401


def test_another_users_token_is_404_and_untouched(api_as_freelancer, db):
    stranger = freelancer_user()
    token, _ = token_create(user=stranger, name="theirs")
    assert_problem(api_as_freelancer.delete(f"/api/v1/tokens/{token.pk}"), 404)
    token.refresh_from_db()
    assert token.revoked_at is None


def test_pagination_convention(api_as_freelancer, freelancer_account):
    for n in range(4):
        token_create(user=freelancer_account, name=f"t{n}")
    page = api_as_freelancer.get("/api/v1/tokens", page=2, page_size=2).json()
    assert (page["count"], page["page"], page["page_size"], page["pages"], len(page["items"])) == (
        5,
        2,
        2,
        3,
        2,
    )
    assert_problem(api_as_freelancer.get("/api/v1/tokens", page_size=1000), 422)
    assert_problem(api_as_freelancer.get("/api/v1/tokens", page=0), 422)


@pytest.mark.usefixtures("assert_ledger_sound")
def test_wallet_shows_balances_and_transactions(api_as_client):
    assert api_as_client.get("/api/v1/wallet").json()["accounts"] == []
    assert api_as_client.get("/api/v1/wallet/transactions").json()["count"] == 0
    deposit = api_as_client.post(
        "/api/v1/wallet/deposits",
        json.dumps(
            {"amount": {"amount": "75.50", "currency": "USD"}, "payment_method": "pm_card_visa"}
        ),
    )
    assert deposit.status_code == 201
    assert deposit.json()["balance"] == {"amount": "75.50", "currency": "USD"}
    wallet = api_as_client.get("/api/v1/wallet").json()
    assert wallet["accounts"][0]["kind"] == "client_funding"
    assert wallet["accounts"][0]["balance"]["amount"] == "75.50"
    transactions = api_as_client.get("/api/v1/wallet/transactions").json()
    assert transactions["items"][0]["amount"] == {"amount": "75.50", "currency": "USD"}


@pytest.mark.usefixtures("assert_ledger_sound")
def test_wallet_is_scoped_to_its_owner(api_as_client, api_as_freelancer):
    api_as_client.post(
        "/api/v1/wallet/deposits",
        json.dumps({"amount": {"amount": "75.50"}, "payment_method": "pm_card_visa"}),
    )
    assert api_as_freelancer.get("/api/v1/wallet").json()["accounts"] == []
    assert api_as_freelancer.get("/api/v1/wallet/transactions").json()["count"] == 0


def test_freelancer_deposit_is_a_clear_422(api_as_freelancer):
    response = api_as_freelancer.post(
        "/api/v1/wallet/deposits",
        json.dumps({"amount": {"amount": "75.50"}, "payment_method": "pm_card_visa"}),
    )
    assert_problem(response, 422)


def test_policies_current_and_history(anonymous_api):
    policies = anonymous_api.get("/api/v1/policies").json()
    assert {p["kind"] for p in policies} == {"fees", "connects", "jss", "ranking"}
    fees = next(p for p in policies if p["kind"] == "fees")
    assert fees["current"]["label"] == "2019"
    assert [v["label"] for v in fees["history"]] == ["2019", "classic"]
    assert fees["current"]["params"]["client_marketplace_fee_bp"] == 300
    assert "properties" in fees["schema_"]
    connects = anonymous_api.get("/api/v1/policies/connects").json()
    assert connects["current"]["params"]["proposal_cost"]["type"] == "by_job_value"


def test_fee_quote(anonymous_api):
    quote = anonymous_api.get("/api/v1/fees/quote", amount="600.00").json()
    assert quote["service_fee"]["amount"] == "110.00"
    assert quote["net"]["amount"] == "490.00"
    assert [t["rate_percent"] for t in quote["tiers"]] == ["20.00", "10.00"]
    first = anonymous_api.get(
        "/api/v1/fees/quote",
        amount="600.00",
        lifetime_billed="10000.00",
        first_payment_of_contract="true",
    ).json()
    assert first["service_fee"]["amount"] == "30.00"
    assert first["client_marketplace_fee"]["amount"] == "18.00"
    assert first["client_contract_initiation_fee"]["amount"] == "2.95"
    assert first["client_total"]["amount"] == "620.95"


def test_fee_quote_from_the_freelancers_own_billings_with_a_client(
    api_as_freelancer, freelancer_account, anonymous_api
):
    client = client_user()
    paid_for_work(freelancer_account, client, 40_000)
    quote = api_as_freelancer.get(
        "/api/v1/fees/quote", amount="600.00", client_id=str(client.pk)
    ).json()
    assert quote["lifetime_billed_before"]["amount"] == "400.00"
    # $100 more at 20%, then $500 at 10%.
    assert quote["service_fee"]["amount"] == "70.00"
    # Another client, or none at all, reads as nothing billed.
    for other in (client_user().pk, 999_999):
        quote = api_as_freelancer.get("/api/v1/fees/quote", amount="600.00", client_id=str(other))
        assert quote.json()["lifetime_billed_before"]["amount"] == "0.00"
    assert_problem(
        anonymous_api.get("/api/v1/fees/quote", amount="600.00", client_id=str(client.pk)), 422
    )


def test_openapi_document_has_the_tags(anonymous_api):
    document = anonymous_api.get("/api/openapi.json").json()
    tags = {
        tag
        for path in document["paths"].values()
        for op in path.values()
        for tag in op.get("tags", [])
    }
    assert {"accounts", "tokens", "wallet", "policies", "fees"} <= tags
    assert all(path.startswith("/api/v1/") for path in document["paths"])


def test_token_count_is_capped(api_as_freelancer, freelancer_account):
    for n in range(19):
        token_create(user=freelancer_account, name=f"t{n}")
    assert_problem(
        api_as_freelancer.post("/api/v1/tokens", json.dumps({"name": "one too many"})), 422
    )
    assert PersonalAccessToken.objects.filter(user=freelancer_account).count() == 20
