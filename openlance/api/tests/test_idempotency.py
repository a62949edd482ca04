import json
from datetime import timedelta

import pytest

from openlance.api.tests.conftest import assert_problem
from openlance.billing.models import SandboxOperation
from openlance.core import clock
from openlance.core.models import IdempotencyRecord
from openlance.core.services import idempotency_purge_due
from openlance.ledger.models import Transfer

pytestmark = pytest.mark.usefixtures("assert_ledger_sound")

DEPOSIT = json.dumps(
    {"amount": {"amount": "100.00", "currency": "USD"}, "payment_method": "pm_card_visa"}
)


def _deposit(api, key, body=DEPOSIT):
    return api.post("/api/v1/wallet/deposits", body, headers={"Idempotency-Key": key})


def test_same_key_same_body_replays_the_first_response(api_as_client):
    first = _deposit(api_as_client, "key-1")
    again = _deposit(api_as_client, "key-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Transfer.objects.filter(kind="deposit").count() == 1
    assert SandboxOperation.objects.count() == 1


def test_same_key_different_body_is_409_and_moves_nothing(api_as_client):
    _deposit(api_as_client, "key-1")
    other = json.dumps(
        {"amount": {"amount": "999.00", "currency": "USD"}, "payment_method": "pm_card_visa"}
    )
    problem = assert_problem(_deposit(api_as_client, "key-1", other), 409)
    assert problem["code"] == "idempotency_conflict"
    assert Transfer.objects.filter(kind="deposit").count() == 1


def test_distinct_keys_are_distinct_deposits(api_as_client):
    _deposit(api_as_client, "key-1")
    _deposit(api_as_client, "key-2")
    assert Transfer.objects.filter(kind="deposit").count() == 2


def test_keys_belong_to_their_user(api_as_client, client_account):
    from openlance.accounts.services import token_create
    from openlance.accounts.tests.factories import client_user
    from openlance.api.tests.conftest import ApiClient

    other = ApiClient(token_create(user=client_user(), name="t")[1])
    _deposit(api_as_client, "shared")
    assert _deposit(other, "shared").status_code == 201
    assert Transfer.objects.filter(kind="deposit").count() == 2


def test_declined_card_is_replayed_too_and_books_nothing(api_as_client):
    declined = json.dumps({"amount": {"amount": "100.00"}, "payment_method": "pm_card_declined"})
    first = _deposit(api_as_client, "d", declined)
    assert_problem(first, 402)
    assert _deposit(api_as_client, "d", declined).json() == first.json()
    assert not Transfer.objects.exists()


def test_invalid_key_is_400(api_as_client):
    assert_problem(_deposit(api_as_client, "x" * 256), 400)
    assert not Transfer.objects.exists()


def test_keys_are_kept_at_least_24_hours(api_as_client):
    _deposit(api_as_client, "key-1")
    assert idempotency_purge_due(now=clock.now() + timedelta(hours=24)) == 0
    assert _deposit(api_as_client, "key-1")["Idempotent-Replayed"] == "true"
    assert idempotency_purge_due(now=clock.now() + timedelta(hours=49)) == 1
    assert not IdempotencyRecord.objects.exists()


def test_key_in_progress_is_409(api_as_client, client_account):
    import hashlib

    record = IdempotencyRecord.objects.create(
        scope=f"user:{client_account.pk}",
        key="busy",
        request_hash=hashlib.sha256(b"x").hexdigest(),
        created_at=clock.now(),
    )
    assert record.status_code is None
    response = _deposit(api_as_client, "busy")
    assert response.status_code == 409


def _as_if_the_process_died(key, *, minutes_ago):
    # The deposit committed, but the response was never saved on the record.
    IdempotencyRecord.objects.filter(key=key).update(
        status_code=None,
        response_body=b"",
        created_at=clock.now() - timedelta(minutes=minutes_ago),
    )


def test_a_recent_request_in_progress_is_409(api_as_client):
    _deposit(api_as_client, "died")
    _as_if_the_process_died("died", minutes_ago=1)
    problem = assert_problem(_deposit(api_as_client, "died"), 409)
    assert problem["code"] == "idempotency_in_progress"


def test_a_request_abandoned_by_a_dead_process_runs_again_without_repeating(api_as_client):
    first = _deposit(api_as_client, "died")
    _as_if_the_process_died("died", minutes_ago=10)
    again = _deposit(api_as_client, "died")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert Transfer.objects.filter(kind="deposit").count() == 1
    assert SandboxOperation.objects.count() == 1
    assert IdempotencyRecord.objects.get(key="died").status_code == 201
    assert _deposit(api_as_client, "died")["Idempotent-Replayed"] == "true"


def test_an_abandoned_request_whose_writes_are_not_keyed_stays_409(api_as_client):
    # A job post (or a message) may have been committed by the process that died: running
    # it again could make a second one, so only keyed money POSTs are run again.
    api_as_client.post("/api/v1/jobs", {}, headers={"Idempotency-Key": "post"})
    _as_if_the_process_died("post", minutes_ago=10)
    again = api_as_client.post("/api/v1/jobs", {}, headers={"Idempotency-Key": "post"})
    assert assert_problem(again, 409)["code"] == "idempotency_in_progress"


def test_token_and_session_of_one_user_share_keys(api_as_client, client_account):
    from django.test import Client

    _deposit(api_as_client, "key-1")
    browser = Client()
    browser.force_login(client_account)
    replay = browser.post(
        "/api/v1/wallet/deposits",
        DEPOSIT,
        content_type="application/json",
        headers={"Idempotency-Key": "key-1"},
    )
    assert replay["Idempotent-Replayed"] == "true"
    assert Transfer.objects.filter(kind="deposit").count() == 1
