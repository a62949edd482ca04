from __future__ import annotations

import json
from dataclasses import replace

import pytest
from django.test import Client

from openlance.accounts.services import token_create
from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.messaging import api
from openlance.messaging.limits import MESSAGES
from openlance.messaging.models import Message
from openlance.messaging.selectors import unread_total
from openlance.messaging.services import message_send
from openlance.messaging.tests.factories import conversation, pdf_upload

pytestmark = pytest.mark.django_db


class ApiClient:
    """A JSON client that authenticates with a personal access token (or not at all)."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path, **params):
        return self.client.get(path, params, headers=self.headers)

    def post(self, path, body="{}"):
        return self.client.post(path, body, content_type="application/json", headers=self.headers)


def assert_problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["detail"]
    return body


@pytest.fixture
def people():
    client, freelancer = client_user(), freelancer_user()
    return client, freelancer, conversation(client, freelancer, topic="proposal:7")


def _api(user) -> ApiClient:
    return ApiClient(token_create(user=user, name="tests")[1])


def test_list_is_paginated_with_unread_counts(people):
    client, freelancer, talk = people
    other = conversation(client, freelancer, title="Second job")
    message_send(conversation=talk, sender=client, body="Hi, can we talk about the logo?")
    response = _api(freelancer).get("/api/v1/conversations", page_size=1)
    assert response.status_code == 200
    page = response.json()
    assert (page["count"], page["pages"], page["page"]) == (2, 2, 1)
    first = page["items"][0]
    assert first["id"] == talk.pk
    assert first["unread"] == 1
    assert first["last_message_snippet"] == "Hi, can we talk about the logo?"
    assert {m["name"] for m in first["members"]} == {client.public_name, freelancer.public_name}
    second = _api(freelancer).get("/api/v1/conversations", page=2, page_size=1).json()
    assert second["items"][0]["id"] == other.pk


def test_outsiders_get_404_and_anonymous_401(people):
    client, _, talk = people
    message_send(conversation=talk, sender=client, body="Files", attachments=[pdf_upload()])
    attachment = Message.objects.get().attachments.get()
    outsider = _api(freelancer_user())
    base = f"/api/v1/conversations/{talk.pk}"
    for path in [base, f"{base}/messages", f"{base}/attachments/{attachment.pk}"]:
        assert_problem(outsider.get(path), 404)
        assert_problem(ApiClient(None).get(path), 401)
    assert_problem(outsider.post(f"{base}/messages", json.dumps({"body": "hi"})), 404)
    assert_problem(outsider.post(f"{base}/read"), 404)
    assert_problem(_api(client).get("/api/v1/conversations/99999999999999999999"), 404)
    assert outsider.get("/api/v1/conversations").json()["count"] == 0
    assert Message.objects.count() == 1


def test_send_json_and_read(people):
    client, freelancer, talk = people
    response = _api(client).post(
        f"/api/v1/conversations/{talk.pk}/messages", json.dumps({"body": "Hello"})
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["body"] == "Hello"
    assert body["sender"]["id"] == client.pk
    assert unread_total(user=freelancer) == 1
    assert _api(freelancer).post(f"/api/v1/conversations/{talk.pk}/read").status_code == 204
    assert unread_total(user=freelancer) == 0


@pytest.mark.parametrize(
    "payload",
    [json.dumps({"body": ""}), json.dumps({"text": "x"}), "not json", json.dumps({"body": 5})],
)
def test_send_bad_json_is_422(people, payload):
    client, _, talk = people
    response = _api(client).post(f"/api/v1/conversations/{talk.pk}/messages", payload)
    body = assert_problem(response, 422)
    assert body["errors"][0]["field"] == "body"
    assert Message.objects.count() == 0


def test_send_multipart_with_files_and_download(people):
    client, freelancer, talk = people
    api = _api(client)
    response = api.client.post(
        f"/api/v1/conversations/{talk.pk}/messages",
        {"body": "The brief", "files": [pdf_upload("brief.pdf")]},
        headers=api.headers,
    )
    assert response.status_code == 201, response.content
    attachment = response.json()["attachments"][0]
    assert attachment["name"] == "brief.pdf"
    download = _api(freelancer).get(attachment["url"])
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF-")


def test_send_multipart_wrong_type_is_422(people):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client, _, talk = people
    api = _api(client)
    response = api.client.post(
        f"/api/v1/conversations/{talk.pk}/messages",
        {"body": "x", "files": [SimpleUploadedFile("a.pdf", b"<html>")]},
        headers=api.headers,
    )
    body = assert_problem(response, 422)
    assert body["errors"][0]["field"] == "attachments"
    assert Message.objects.count() == 0


def test_messages_after_id_and_pagination(people):
    client, freelancer, talk = people
    sent = [message_send(conversation=talk, sender=client, body=f"m{i}") for i in range(5)]
    api = _api(freelancer)
    page = api.get(f"/api/v1/conversations/{talk.pk}/messages", page_size=2).json()
    assert [m["body"] for m in page["items"]] == ["m0", "m1"]
    assert page["pages"] == 3
    newer = api.get(f"/api/v1/conversations/{talk.pk}/messages", after_id=sent[2].pk).json()
    assert [m["body"] for m in newer["items"]] == ["m3", "m4"]
    assert_problem(api.get(f"/api/v1/conversations/{talk.pk}/messages", after_id=-1), 422)
    assert_problem(api.get(f"/api/v1/conversations/{talk.pk}/messages", page_size=500), 422)


def test_sending_too_fast_is_a_429_problem(people, monkeypatch):
    client, _, talk = people
    monkeypatch.setattr(api, "MESSAGES", replace(MESSAGES, rate="1/10m"))
    sender = _api(client)
    url = f"/api/v1/conversations/{talk.pk}/messages"
    assert sender.post(url, json.dumps({"body": "Hello"})).status_code == 201
    problem = assert_problem(sender.post(url, json.dumps({"body": "Again"})), 429)
    assert problem["code"] == "rate_limited"
    assert Message.objects.filter(conversation=talk).count() == 1
