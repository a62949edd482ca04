"""Issue 11, "no input reaches a 500": malformed bodies, queries and URLs, requests without
a usable session or token, and input errors on objects the caller may not see."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client

from openlance.accounts.auth import _ScopeFirstOperation
from openlance.accounts.models import PersonalAccessToken
from openlance.accounts.services import location_verification_submit, token_create
from openlance.accounts.tests.factories import freelancer_user
from openlance.api.middleware import MAX_REQUEST_TARGET_BYTES
from openlance.api.tests.conftest import ApiClient, assert_problem
from openlance.api.urls import api
from openlance.contracts.models import Amendment, OfferState
from openlance.contracts.tests.factories import contract_fixed, offer
from openlance.core.tests.files import pdf_upload, png_upload
from openlance.jobs.tests.factories import job_client, job_post
from openlance.messaging.tests.factories import conversation
from openlance.profiles.models import Profile
from openlance.proposals.tests.factories import funded_freelancer, invitation, proposal

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path template, operation) for every operation of the OpenAPI document."""
    schema = api.get_openapi_schema()
    return [
        (method.upper(), path, operation)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    ]


BODY_OPERATIONS = [(m, p) for m, p, op in _operations() if "requestBody" in op]
AUTHENTICATED_WRITES = [(m, p) for m, p, op in _operations() if m != "GET" and op.get("security")]


def test_the_route_lists_are_not_empty():
    assert len(BODY_OPERATIONS) > 30
    assert ("POST", "/api/v1/me/verifications") in BODY_OPERATIONS
    assert ("POST", "/api/v1/offers/{offer_id}/withdraw") in AUTHENTICATED_WRITES


class World:
    """A client and a freelancer with something of each kind between them, so path ids
    name objects the caller may act on and requests get past the handlers' scoping."""

    def __init__(self) -> None:
        self.client = job_client()
        self.freelancer = funded_freelancer()
        job = job_post(client=self.client)
        applied = proposal(job=job, freelancer=self.freelancer)
        pending = offer(proposal=applied)
        contract = contract_fixed(client=self.client, freelancer=self.freelancer)
        self.ids = {
            "job_id": job.pk,
            "proposal_id": applied.pk,
            "offer_id": pending.pk,
            "contract_id": contract.pk,
            "milestone_id": contract.milestones.first().pk,
            "conversation_id": conversation(self.client, self.freelancer).pk,
            "invitation_id": invitation(
                job=job_post(client=self.client), freelancer=self.freelancer
            ).pk,
            "profile_id": Profile.objects.filter(freelancer__user=self.freelancer).first().pk,
        }

    def url(self, template: str) -> str:
        # An id this world has no object for (a verification) gets one that does not exist.
        return re.sub(r"\{(\w+)\}", lambda m: str(self.ids.get(m.group(1), 987654)), template)

    def api_as(self, role: str) -> ApiClient:
        user = self.client if role == "client" else self.freelancer
        return ApiClient(token_create(user=user, name=f"hardening {role}")[1])


@pytest.fixture
def world() -> World:
    return World()


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model.__module__.startswith("openlance.")
    }


MULTIPART_PART = (
    b'--XX\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
    b"Content-Type: application/pdf\r\n\r\n%PDF-1.4 cut short"
)
MALFORMED: dict[str, tuple[bytes, str, dict[str, str]]] = {
    "multipart without a boundary": (b"garbage", "multipart/form-data", {}),
    "multipart with an empty boundary": (b"garbage", "multipart/form-data; boundary=", {}),
    "multipart with a bad boundary": (b"garbage", "multipart/form-data; boundary=\x01\x02", {}),
    "multipart cut short": (MULTIPART_PART, "multipart/form-data; boundary=XX", {}),
    "multipart with broken headers": (
        b"--XX\r\n\xff\xfe no colon\r\n\r\nvalue\r\n--XX--\r\n",
        "multipart/form-data; boundary=XX",
        {},
    ),
    "multipart with invalid UTF-8": (
        b'--XX\r\nContent-Disposition: form-data; name="\xff\xfe"\r\n\r\n\xff\xfe\r\n--XX--\r\n',
        "multipart/form-data; boundary=XX",
        {},
    ),
    "multipart with an unknown charset": (
        MULTIPART_PART + b"\r\n--XX--\r\n",
        "multipart/form-data; boundary=XX; charset=no-such-charset",
        {},
    ),
    "malformed JSON": (b'{"name": ', "application/json", {}),
    "a JSON list": (b"[]", "application/json", {}),
    "JSON null": (b"null", "application/json", {}),
    "a JSON string": (b'"text"', "application/json", {}),
    "a JSON number": (b"42", "application/json", {}),
    "deeply nested JSON": (b"[" * 100_000 + b"]" * 100_000, "application/json", {}),
    "JSON with invalid UTF-8": (b'{"name": "\xff\xfe"}', "application/json", {}),
    "JSON with a NUL": (b'{"name": "a\\u0000b", "reason": "\\u0000"}', "application/json", {}),
    "a form with invalid encoding": (
        b"a=%ff%00&&=&%zz=1",
        "application/x-www-form-urlencoded",
        {},
    ),
    "no content type": (b"\x00\x01\x02", "", {}),
    "a huge Content-Length": (b"{}", "application/json", {"CONTENT_LENGTH": str(10**12)}),
    "a multipart huge Content-Length": (
        MULTIPART_PART,
        "multipart/form-data; boundary=XX",
        {"CONTENT_LENGTH": str(10**12)},
    ),
    "a Content-Length that is not a number": (
        b"{}",
        "application/json",
        {"CONTENT_LENGTH": "12abc"},
    ),
}


@pytest.mark.parametrize("role", ["freelancer", "client"])
@pytest.mark.parametrize("variant", MALFORMED)
def test_every_malformed_body_to_every_route_is_a_problem_4xx(world, role, variant):
    body, content_type, extra = MALFORMED[variant]
    caller = world.api_as(role)
    before = _row_counts()
    failures = []
    for method, template in BODY_OPERATIONS:
        response = caller.client.generic(
            method,
            world.url(template),
            data=body,
            content_type=content_type,
            headers=caller.headers,
            **extra,
        )
        if response.status_code >= 500 or response["Content-Type"] != PROBLEM:
            failures.append((method, template, response.status_code, response.content[:200]))
        elif response.status_code < 400:
            failures.append((method, template, response.status_code, "accepted"))
    assert failures == []
    assert _row_counts() == before


QUERIES = {
    "a NUL byte": "q=a%00b",
    "a raw NUL byte": "q=a\x00b",
    "a NUL name": "%00=1",
    "a lone percent": "q=100%",
    "a percent without hex digits": "q=%zz",
    "invalid UTF-8": "q=%ff%fe",
    "a truncated UTF-8 sequence": "q=%e2%82",
}


@pytest.mark.parametrize("variant", QUERIES)
def test_a_malformed_query_string_is_a_400_on_every_route(world, variant):
    caller = world.api_as("client")
    failures = []
    for method, template, _ in _operations():
        response = caller.client.generic(
            method, f"{world.url(template)}?{QUERIES[variant]}", headers=caller.headers
        )
        if response.status_code != 400 or response["Content-Type"] != PROBLEM:
            failures.append((method, template, response.status_code, response.content[:200]))
    assert failures == []


def test_a_nul_in_the_path_is_a_400(anonymous_api):
    assert_problem(anonymous_api.get("/api/v1/policies/fees%00"), 400)


def test_a_well_formed_query_still_works(anonymous_api):
    response = anonymous_api.client.get("/api/v1/search/jobs?q=caf%C3%A9+%2B+bar&page=1")
    assert response.status_code == 200, response.content


# --- 2. no session or token is a 401, a session without its CSRF token a 403 ---------------


def _browser() -> Client:
    return Client(enforce_csrf_checks=True)


@pytest.mark.parametrize(("method", "template"), AUTHENTICATED_WRITES)
def test_an_anonymous_write_is_a_401_with_a_challenge(world, method, template):
    response = _browser().generic(
        method, world.url(template), data=b"{}", content_type="application/json"
    )
    assert_problem(response, 401)
    assert response["WWW-Authenticate"] == 'Bearer realm="openlance"'


@pytest.mark.parametrize("token", ["garbage", "olp_" + "0" * 40, ""])
def test_a_write_with_a_bad_bearer_token_is_a_401(db, token):
    response = _browser().post(
        "/api/v1/tokens",
        json.dumps({"name": "x"}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    problem = assert_problem(response, 401)
    assert problem["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == 'Bearer realm="openlance", error="invalid_token"'
    assert not PersonalAccessToken.objects.exists()


@pytest.mark.parametrize("authorization", [None, "Bearer garbage"])
def test_a_session_write_without_the_csrf_token_is_a_403(db, authorization):
    browser = _browser()
    browser.force_login(freelancer_user())
    headers = {"Authorization": authorization} if authorization else {}
    response = browser.post(
        "/api/v1/tokens",
        json.dumps({"name": "x"}),
        content_type="application/json",
        headers=headers,
    )
    assert assert_problem(response, 403)["code"] == "csrf_failed"
    assert not PersonalAccessToken.objects.exists()


def test_a_session_write_with_the_csrf_token_passes(db):
    browser = _browser()
    browser.force_login(freelancer_user())
    csrf = _get_new_csrf_string()
    browser.cookies["csrftoken"] = csrf
    response = browser.post(
        "/api/v1/tokens",
        json.dumps({"name": "x"}),
        content_type="application/json",
        headers={"X-CSRFToken": csrf},
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("with_token", [True, False])
def test_a_session_write_with_a_broken_multipart_body_is_a_400(db, with_token):
    """Django's CSRF check reads the form (for csrfmiddlewaretoken) before the API does."""
    browser = _browser()
    browser.force_login(freelancer_user())
    csrf = _get_new_csrf_string()
    browser.cookies["csrftoken"] = csrf
    response = browser.generic(
        "POST",
        "/api/v1/me/freelancer/photo",
        data=b"garbage",
        content_type="multipart/form-data",
        headers={"X-CSRFToken": csrf} if with_token else {},
    )
    assert_problem(response, 400)


def test_an_anonymous_read_of_an_authenticated_operation_is_a_401(db):
    response = _browser().get("/api/v1/me")
    assert_problem(response, 401)
    assert response.has_header("WWW-Authenticate")


# --- 3. long URLs --------------------------------------------------------------------------


def test_a_5000_character_query_is_a_414_problem(anonymous_api):
    response = anonymous_api.client.get("/api/v1/search/jobs?q=" + "a" * 5000)
    assert assert_problem(response, 414)["code"] == "uri_too_long"


def test_a_long_path_is_a_414_problem(api_as_client):
    response = api_as_client.client.post(
        "/api/v1/jobs/" + "9" * 5000, "{}", content_type="application/json"
    )
    assert_problem(response, 414)


def test_a_target_at_the_limit_is_served(anonymous_api):
    path = "/api/v1/search/jobs?q="
    response = anonymous_api.client.get(path + "a" * (MAX_REQUEST_TARGET_BYTES - len(path)))
    # The endpoint's own answer (q is too long for it), not the 414.
    assert_problem(response, 422)


def test_pages_keep_their_own_answer_to_a_long_query(client):
    response = client.get("/search/jobs/?q=" + "a" * 5000)
    assert response["Content-Type"] != PROBLEM


def test_the_web_server_lets_the_api_answer_long_targets():
    """gunicorn's own (HTML) 414 must only cover lines the API could not answer anyway."""
    procfile = (Path(__file__).resolve().parents[3] / "Procfile").read_text()
    limit = re.search(r"--limit-request-line (\d+)", procfile)
    assert limit is not None
    # The request line is "METHOD target HTTP/1.1": room for any method around the target.
    assert MAX_REQUEST_TARGET_BYTES + len("OPTIONS  HTTP/1.1") < int(limit.group(1)) <= 8190


# --- 4. an object you may not see is a 404, whatever the body ------------------------------

BAD_BODIES = [
    ("application/json", b'{"revision": "x", "description": 5}'),
    ("application/json", b"{}"),
    ("application/json", b"[]"),
    ("application/json", b"{not json"),
    ("multipart/form-data", b"garbage"),
]


@pytest.fixture
def pending_offer():
    return offer()


@pytest.mark.parametrize(("content_type", "body"), BAD_BODIES)
def test_accepting_someone_elses_offer_is_a_404_whatever_the_body(
    pending_offer, content_type, body
):
    url = f"/api/v1/offers/{pending_offer.pk}/accept"
    stranger = ApiClient(token_create(user=funded_freelancer(), name="t")[1])
    its_client = ApiClient(token_create(user=pending_offer.client, name="t")[1])
    for caller in (stranger, its_client):
        response = caller.post(url, body, content_type=content_type)
        assert_problem(response, 404)
    missing = stranger.post(
        f"/api/v1/offers/{pending_offer.pk + 1000}/accept", body, content_type=content_type
    )
    assert_problem(missing, 404)
    pending_offer.refresh_from_db()
    assert pending_offer.state == OfferState.PENDING


def test_the_offers_freelancer_gets_the_input_errors(pending_offer):
    owner = ApiClient(token_create(user=pending_offer.freelancer, name="t")[1])
    url = f"/api/v1/offers/{pending_offer.pk}/accept"
    problem = assert_problem(owner.post(url, json.dumps({"revision": "x"})), 422)
    assert "revision" in {error["field"] for error in problem["errors"]}
    assert_problem(owner.post(url, "{not json"), 400)
    assert_problem(owner.post(url, "garbage", content_type="multipart/form-data"), 400)
    pending_offer.refresh_from_db()
    assert pending_offer.state == OfferState.PENDING
    stranger = ApiClient(token_create(user=funded_freelancer(), name="t")[1])
    assert_problem(stranger.post(url, json.dumps({"revision": 1})), 404)
    assert owner.post(url, json.dumps({"revision": 1})).status_code == 201


@pytest.mark.parametrize(("content_type", "body"), BAD_BODIES)
def test_amending_someone_elses_contract_is_a_404_whatever_the_body(content_type, body):
    contract = contract_fixed()
    stranger = ApiClient(token_create(user=job_client(), name="t")[1])
    url = f"/api/v1/contracts/{contract.pk}/amendments"
    assert_problem(stranger.post(url, body, content_type=content_type), 404)
    for party in (contract.client, contract.freelancer):
        response = ApiClient(token_create(user=party, name="t")[1]).post(
            url, body, content_type=content_type
        )
        assert response.status_code in (400, 422), response.content
    assert not Amendment.objects.exists()


def test_a_party_to_the_contract_gets_the_input_errors():
    contract = contract_fixed()
    party = ApiClient(token_create(user=contract.client, name="t")[1])
    url = f"/api/v1/contracts/{contract.pk}/amendments"
    problem = assert_problem(party.post(url, json.dumps({"description": 5})), 422)
    assert "description" in {error["field"] for error in problem["errors"]}
    assert not Amendment.objects.exists()


def test_a_bad_path_id_with_a_bad_body_is_an_input_error(api_as_freelancer):
    response = api_as_freelancer.post("/api/v1/offers/abc/accept", "[]")
    assert 400 <= response.status_code < 500
    assert response.status_code != 500


def test_scoping_first_leaves_anonymous_callers_a_401():
    response = _browser().post("/api/v1/offers/1/accept", "[]", content_type="application/json")
    assert_problem(response, 401)


# One operation (or more) of each app that takes a path id and a body or query: a stranger
# sending input that fails validation gets the 404 of an object they may not see, exactly
# as for an id that does not exist; the object's owner gets the input error.
NOT_JSON = b"{not json"
SCOPED_FIRST = [
    # (method, path template, owner role, a body (or query string) that fails validation)
    ("POST", "/api/v1/me/verifications/{verification_id}/appeal", "freelancer", b'{"note": 5}'),
    ("PUT", "/api/v1/me/profiles/{profile_id}", "freelancer", b'{"title": 5}'),
    ("PUT", "/api/v1/jobs/{job_id}", "client", b'{"title": 5}'),
    ("POST", "/api/v1/jobs/{job_id}/close", "client", b'{"hired": "maybe"}'),
    ("POST", "/api/v1/jobs/{job_id}/attachments", "client", b"{}"),
    ("GET", "/api/v1/jobs/{job_id}/proposals", "client", "tab=nonsense"),
    ("POST", "/api/v1/jobs/{job_id}/invitations", "client", b'{"freelancer_id": "x"}'),
    ("POST", "/api/v1/proposals/{proposal_id}/decline", "client", b'{"reason": 5}'),
    ("POST", "/api/v1/proposals/{proposal_id}/messages", "client", b'{"body": 5}'),
    ("POST", "/api/v1/proposals/{proposal_id}/attachments", "freelancer", b"{}"),
    ("POST", "/api/v1/invitations/{invitation_id}/accept", "freelancer", b"{}"),
    ("POST", "/api/v1/invitations/{invitation_id}/decline", "freelancer", b'{"reason": "x"}'),
    ("PUT", "/api/v1/offers/{offer_id}", "client", b'{"title": 5}'),
    ("PATCH", "/api/v1/offers/{offer_id}", "client", b'{"kind": "barter"}'),
    ("POST", "/api/v1/offers/{offer_id}/decline", "freelancer", b'{"reason": 5}'),
    ("POST", "/api/v1/milestones/{milestone_id}/fund", "client", b"{}"),
    ("POST", "/api/v1/milestones/{milestone_id}/approve", "client", b'{"amount": 5}'),
    ("POST", "/api/v1/milestones/{milestone_id}/request-changes", "client", b"{}"),
    ("GET", "/api/v1/conversations/{conversation_id}/messages", "client", "page_size=500"),
]


def _stranger(role: str) -> ApiClient:
    user = job_client() if role == "client" else funded_freelancer()
    return ApiClient(token_create(user=user, name="stranger")[1])


def _send(caller: ApiClient, method: str, url: str, bad: bytes | str) -> Any:
    if method == "GET":
        return caller.client.get(f"{url}?{bad}", headers=caller.headers)
    return caller.client.generic(
        method, url, data=bad, content_type="application/json", headers=caller.headers
    )


def _missing(template: str) -> str:
    """The operation's URL with an id no object has."""
    return re.sub(r"\{\w+\}", "987654321", template)


@pytest.mark.parametrize(
    ("method", "template", "owner_role", "bad"),
    SCOPED_FIRST,
    ids=[f"{m} {t.removeprefix('/api/v1')}" for m, t, _, _ in SCOPED_FIRST],
)
def test_a_stranger_sending_bad_input_to_someone_elses_object_gets_a_404(
    world, method, template, owner_role, bad
):
    world.ids["verification_id"] = location_verification_submit(
        user=world.freelancer,
        country="US",
        city="Austin",
        id_document=pdf_upload("passport.pdf"),
        proof_of_address=png_upload("bill.png"),
        note="",
    ).pk
    url = world.url(template)
    owner = world.api_as(owner_role)
    stranger = _stranger(owner_role)
    before = _row_counts()
    # The owner is told what is wrong with the input: it is bad input...
    response = _send(owner, method, url, bad)
    assert response.status_code in (400, 422), response.content
    # ... but a stranger learns nothing about the object: the same 404 as for no object.
    assert_problem(_send(stranger, method, url, bad), 404)
    assert_problem(_send(stranger, method, _missing(template), bad), 404)
    if method != "GET":
        assert_problem(_send(stranger, method, url, NOT_JSON), 404)
        assert _send(owner, method, url, NOT_JSON).status_code in (400, 422)
    assert _row_counts() == before


def test_every_operation_with_an_id_and_input_scopes_first():
    """A new operation on an object named by a path id that takes a body or a query must go
    through `scope_first`, unless it reads its own body after scoping (listed here)."""
    reads_its_own_body = {
        ("POST", "/api/v1/conversations/{conversation_id}/messages"),
        ("POST", "/api/v1/milestones/{milestone_id}/submit"),
    }
    checked, missing = [], []
    for prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                sources = {getattr(m, "__ninja_param_source__", None) for m in operation.models}
                if "path" not in sources or sources == {"path"}:
                    continue
                for method in operation.methods:
                    route = (method, re.sub("/+", "/", f"/api/{prefix}/{path}"))
                    checked.append(route)
                    if not isinstance(operation, _ScopeFirstOperation):
                        missing.append(route)
    assert len(checked) >= len(SCOPED_FIRST)
    assert missing == []
    assert {(m, t) for m, t, _, _ in SCOPED_FIRST} <= set(checked)
    assert reads_its_own_body.isdisjoint(checked)
