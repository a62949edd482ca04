import json

import pytest
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client

from openlance.accounts.auth import token_digest
from openlance.accounts.models import PersonalAccessToken
from openlance.accounts.services import token_create, token_revoke
from openlance.accounts.tests.factories import freelancer_user
from openlance.api.tests.conftest import ApiClient, assert_problem

pytestmark = pytest.mark.django_db


def test_anonymous_is_401_problem(anonymous_api):
    assert_problem(anonymous_api.get("/api/v1/me"), 401)


def test_bearer_token_authenticates_and_is_touched(freelancer_account):
    token, secret = token_create(user=freelancer_account, name="script")
    response = ApiClient(secret).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["email"] == freelancer_account.email
    assert response.json()["email_verified"] is True
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_token_is_stored_only_as_a_hash(freelancer_account):
    token, secret = token_create(user=freelancer_account, name="script")
    assert secret.startswith("olp_")
    assert token.token_hash == token_digest(secret)
    assert secret not in json.dumps(list(PersonalAccessToken.objects.values()), default=str)


@pytest.mark.parametrize("header", ["Bearer olp_wrong", "Bearer ", "Basic abc", "Bearer nothex"])
def test_bad_tokens_are_401(db, header):
    response = Client().get("/api/v1/me", headers={"Authorization": header})
    assert_problem(response, 401)


def test_revoked_token_stops_working(freelancer_account):
    token, secret = token_create(user=freelancer_account, name="script")
    token_revoke(user=freelancer_account, token_id=token.pk)
    assert_problem(ApiClient(secret).get("/api/v1/me"), 401)


def test_deactivated_users_token_stops_working(freelancer_account):
    _, secret = token_create(user=freelancer_account, name="script")
    freelancer_account.is_active = False
    freelancer_account.save()
    assert_problem(ApiClient(secret).get("/api/v1/me"), 401)


def test_session_auth_needs_csrf_for_writes(db):
    user = freelancer_user()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    assert browser.get("/api/v1/me").status_code == 200
    refused = browser.post(
        "/api/v1/tokens", json.dumps({"name": "x"}), content_type="application/json"
    )
    assert refused.status_code == 403
    assert not PersonalAccessToken.objects.exists()
    csrf = _get_new_csrf_string()
    browser.cookies["csrftoken"] = csrf
    accepted = browser.post(
        "/api/v1/tokens",
        json.dumps({"name": "x"}),
        content_type="application/json",
        headers={"X-CSRFToken": csrf},
    )
    assert accepted.status_code == 201
