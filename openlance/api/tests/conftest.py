import pytest
from django.test import Client

from openlance.accounts.services import token_create
from openlance.accounts.tests.factories import client_user, freelancer_user


class ApiClient:
    """A thin JSON client that authenticates with a personal access token."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path, **params):
        return self.client.get(path, params, headers=self.headers)

    def post(self, path, body="{}", headers=None, content_type="application/json"):
        return self.client.post(
            path, body, content_type=content_type, headers={**self.headers, **(headers or {})}
        )

    def patch(self, path, body):
        return self.client.patch(path, body, content_type="application/json", headers=self.headers)

    def delete(self, path):
        return self.client.delete(path, headers=self.headers)


@pytest.fixture
def client_account(db):
    return client_user()


@pytest.fixture
def freelancer_account(db):
    return freelancer_user()


@pytest.fixture
def api_as_client(client_account):
    return ApiClient(token_create(user=client_account, name="tests")[1])


@pytest.fixture
def api_as_freelancer(freelancer_account):
    return ApiClient(token_create(user=freelancer_account, name="tests")[1])


@pytest.fixture
def anonymous_api(db):
    return ApiClient(None)


def assert_problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    return body
