"""The Idempotency-Key middleware on its own: which retries are "the same request"."""

import hashlib
import json
from datetime import timedelta

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from openlance.core import clock
from openlance.core.idempotency import IdempotencyMiddleware
from openlance.core.models import IdempotencyRecord

pytestmark = pytest.mark.django_db

PATH = "/api/v1/wallet/deposits"
BODY = {"amount": {"amount": "100.00", "currency": "USD"}, "payment_method": "pm_card_visa"}


class Endpoint:
    """Stands in for the API: counts the requests that reach it."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, request):
        self.calls += 1
        return HttpResponse(
            json.dumps({"call": self.calls}), status=201, content_type="application/json"
        )


def _post(middleware, body, *, key="key-1", path=PATH, content_type="application/json"):
    data = body if isinstance(body, bytes) else body.encode()
    request = RequestFactory().post(
        path, data=data, content_type=content_type, headers={"Idempotency-Key": key}
    )
    return middleware(request)


@pytest.fixture
def endpoint():
    return Endpoint()


@pytest.fixture
def middleware(endpoint):
    return IdempotencyMiddleware(endpoint)


def test_the_same_json_with_keys_in_another_order_is_the_same_request(middleware, endpoint):
    first = _post(middleware, json.dumps(BODY))
    reordered = json.dumps(
        {"payment_method": "pm_card_visa", "amount": {"currency": "USD", "amount": "100.00"}},
        indent=2,
    )
    again = _post(middleware, reordered)
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert json.loads(again.content) == {"call": 1}
    assert endpoint.calls == 1


def test_json_that_says_something_else_is_a_conflict(middleware, endpoint):
    _post(middleware, json.dumps(BODY))
    other = json.dumps({**BODY, "amount": {"amount": "100.01", "currency": "USD"}})
    conflict = _post(middleware, other)
    assert conflict.status_code == 409
    assert json.loads(conflict.content)["code"] == "idempotency_conflict"
    assert endpoint.calls == 1


def test_a_number_and_a_string_are_not_the_same(middleware, endpoint):
    _post(middleware, '{"amount": 100}')
    assert _post(middleware, '{"amount": "100"}').status_code == 409


def test_bodies_that_are_not_json_are_compared_byte_for_byte(middleware, endpoint):
    form = b"--x\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--x--\r\n"
    content_type = "multipart/form-data; boundary=x"
    assert _post(middleware, form, content_type=content_type).status_code == 201
    replay = _post(middleware, form, content_type=content_type)
    assert replay["Idempotent-Replayed"] == "true"
    changed = form.replace(b"\r\n1\r\n", b"\r\n2\r\n")
    assert _post(middleware, changed, content_type=content_type).status_code == 409
    assert endpoint.calls == 1


def test_json_nested_too_deep_to_parse_is_compared_byte_for_byte(middleware, endpoint):
    deep = "[" * 100_000 + "]" * 100_000
    assert _post(middleware, deep).status_code == 201
    assert _post(middleware, deep)["Idempotent-Replayed"] == "true"
    assert _post(middleware, deep + " ").status_code == 409


def _bytes_fingerprint(body: bytes, path: str = PATH) -> str:
    """How records were fingerprinted before JSON bodies were made canonical."""
    return hashlib.sha256(b"POST\0" + path.encode() + b"\0" + body).hexdigest()


def test_a_record_fingerprinted_over_the_bytes_still_replays_the_same_bytes(middleware, endpoint):
    body = b'{"payment_method": "pm_card_visa", "amount": {"amount": "100.00"}}'
    IdempotencyRecord.objects.create(
        scope="anonymous:127.0.0.1",
        key="old",
        request_hash=_bytes_fingerprint(body),
        status_code=201,
        response_body=b'{"call": 0}',
        content_type="application/json",
        created_at=clock.now(),
    )
    replay = _post(middleware, body, key="old")
    assert (replay.status_code, replay.content) == (201, b'{"call": 0}')
    assert replay["Idempotent-Replayed"] == "true"
    assert _post(middleware, body.replace(b"100.00", b"200.00"), key="old").status_code == 409
    assert endpoint.calls == 0


def test_an_abandoned_request_runs_again_when_retried_with_keys_reordered(middleware, endpoint):
    path = "/api/v1/payouts"
    _post(middleware, json.dumps(BODY), key="k", path=path)
    IdempotencyRecord.objects.filter(key="k").update(
        status_code=None, created_at=clock.now() - timedelta(minutes=10)
    )
    reordered = json.dumps(dict(reversed(BODY.items())))
    assert _post(middleware, reordered, key="k", path=path).status_code == 201
    assert endpoint.calls == 2
