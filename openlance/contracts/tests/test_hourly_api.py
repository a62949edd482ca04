"""The hourly API as a time tracker and the client use it: uploads with an Idempotency-Key,
the week's timesheet on both sides, changes until the week locks, the invoices."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from openlance.accounts.services import token_create
from openlance.accounts.tests.factories import UserFactory
from openlance.billing.services import funds_deposit
from openlance.contracts.hourly.services import hourly_invoice_run_due
from openlance.contracts.models import Contract, TimeEntry, TimeEntrySource
from openlance.contracts.tests.factories import contract_hourly
from openlance.core import clock
from openlance.core.money import Money

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("assert_ledger_sound")]

MONDAY = datetime(2026, 11, 2, tzinfo=UTC)
TUESDAY_NOON = MONDAY + timedelta(days=1, hours=12)


class ApiClient:
    def __init__(self, user) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token_create(user=user, name='t')[1]}"}

    def get(self, path, **params):
        return self.client.get(path, params, headers=self.headers)

    def send(self, method, path, body=None, **headers):
        return getattr(self.client, method)(
            path,
            json.dumps(body or {}),
            content_type="application/json",
            headers={**self.headers, **headers},
        )


def hired(*, manual: bool = False) -> Contract:
    with clock.frozen_at(MONDAY + timedelta(hours=8)):
        contract = contract_hourly()
    Contract.objects.filter(pk=contract.pk).update(
        manual_time_allowed=manual, weekly_limit_hours=10
    )
    contract.refresh_from_db()
    return contract


def interval(hours_from_monday: int, length: int = 1) -> dict[str, str]:
    start = MONDAY + timedelta(hours=hours_from_monday)
    return {
        "started_at": start.isoformat(),
        "ended_at": (start + timedelta(hours=length)).isoformat(),
    }


def test_a_tracker_uploads_time_once_and_both_sides_see_the_week():
    contract = hired()
    freelancer, client = ApiClient(contract.freelancer), ApiClient(contract.client)
    path = f"/api/v1/contracts/{contract.pk}/time-entries"
    body = {**interval(33, 2), "memo": "Payment form"}
    with clock.frozen_at(TUESDAY_NOON):
        first = freelancer.send("post", path, body, **{"Idempotency-Key": "upload-1"})
        again = freelancer.send("post", path, body, **{"Idempotency-Key": "upload-1"})
        assert first.status_code == again.status_code == 201
        assert first.json() == again.json()
        assert first.json()["source"] == "tracked"
        assert first.json()["seconds"] == 7200
        sheet = client.get(f"/api/v1/contracts/{contract.pk}/timesheet")
    assert TimeEntry.objects.filter(contract=contract).count() == 1
    data = sheet.json()
    assert sheet.status_code == 200
    assert (data["week_start"], data["seconds_logged"], data["seconds_tracked"]) == (
        "2026-11-02",
        7200,
        7200,
    )
    assert data["amount"] == {"amount": "80.00", "currency": "USD"}
    assert data["days"][1] == {"day": "2026-11-03", "seconds": 7200}
    assert data["entries"][0]["memo"] == "Payment form"
    assert data["editable"] is True
    assert data["locks_at"] == "2026-11-09T12:00:00Z"


def test_manual_time_refused_where_not_allowed_and_the_client_cannot_log():
    contract = hired(manual=False)
    path = f"/api/v1/contracts/{contract.pk}/time-entries"
    with clock.frozen_at(TUESDAY_NOON):
        manual = ApiClient(contract.freelancer).send("post", path, {**interval(30), "manual": True})
        by_client = ApiClient(contract.client).send("post", path, interval(30))
        stranger = ApiClient(UserFactory()).send("post", path, {"started_at": "nonsense"})
        future = ApiClient(contract.freelancer).send("post", path, interval(40))
    assert manual.status_code == 409
    assert manual.headers["Content-Type"] == "application/problem+json"
    assert by_client.status_code == 409
    assert stranger.status_code == 404  # before the bad body is looked at
    assert future.status_code == 422
    assert not TimeEntry.objects.exists()


def test_entries_change_and_go_until_the_week_locks():
    contract = hired(manual=True)
    freelancer = ApiClient(contract.freelancer)
    with clock.frozen_at(TUESDAY_NOON):
        created = freelancer.send(
            "post", f"/api/v1/contracts/{contract.pk}/time-entries", interval(30)
        ).json()
        changed = freelancer.send(
            "put", f"/api/v1/time-entries/{created['id']}", {**interval(29, 2), "memo": "Longer"}
        )
    assert changed.status_code == 200
    assert (changed.json()["seconds"], changed.json()["source"]) == (7200, "manual")
    with clock.frozen_at(MONDAY + timedelta(days=7, hours=12)):
        locked = freelancer.send("delete", f"/api/v1/time-entries/{created['id']}")
    assert locked.status_code == 409
    with clock.frozen_at(TUESDAY_NOON):
        gone = freelancer.send("delete", f"/api/v1/time-entries/{created['id']}")
    assert gone.status_code == 204
    assert TimeEntry.objects.filter(source=TimeEntrySource.MANUAL).count() == 0


def test_the_invoices_list_the_billed_weeks():
    contract = hired()
    funds_deposit(
        user=contract.client, amount=Money(100_000), payment_method="pm_card_visa", key="k"
    )
    with clock.frozen_at(TUESDAY_NOON):
        ApiClient(contract.freelancer).send(
            "post", f"/api/v1/contracts/{contract.pk}/time-entries", interval(9, 12)
        )
    hourly_invoice_run_due(now=MONDAY + timedelta(days=7, hours=12))
    with clock.frozen_at(MONDAY + timedelta(days=8)):
        page = ApiClient(contract.client).get(f"/api/v1/contracts/{contract.pk}/invoices")
    assert page.status_code == 200
    (invoice,) = page.json()["items"]
    assert (invoice["hours_logged"], invoice["hours_billed"]) == ("12:00", "10:00")
    assert invoice["total"] == {"amount": "414.95", "currency": "USD"}  # $400 + 3% + $2.95
    assert invoice["state"] == "in_review"
    assert invoice["review_ends_at"] == "2026-11-14T00:00:00Z"
    assert invoice["available_at"] == "2026-11-18T00:00:00Z"


def test_the_client_pauses_and_resumes_through_the_api():
    contract = hired()
    client = ApiClient(contract.client)
    paused = client.send("post", f"/api/v1/contracts/{contract.pk}/pause")
    assert paused.json() == {"id": contract.pk, "state": "paused"}
    by_freelancer = ApiClient(contract.freelancer).send(
        "post", f"/api/v1/contracts/{contract.pk}/resume"
    )
    assert by_freelancer.status_code == 409
    assert client.send("post", f"/api/v1/contracts/{contract.pk}/resume").json()["state"] == (
        "active"
    )


def test_the_client_disputes_an_invoice_and_extreme_weeks_are_refused():
    contract = hired()
    funds_deposit(
        user=contract.client, amount=Money(100_000), payment_method="pm_card_visa", key="k"
    )
    with clock.frozen_at(TUESDAY_NOON):
        ApiClient(contract.freelancer).send(
            "post", f"/api/v1/contracts/{contract.pk}/time-entries", interval(9, 2)
        )
    hourly_invoice_run_due(now=MONDAY + timedelta(days=7, hours=12))
    client = ApiClient(contract.client)
    invoice_id = client.get(f"/api/v1/contracts/{contract.pk}/invoices").json()["items"][0]["id"]
    with clock.frozen_at(MONDAY + timedelta(days=9)):
        empty = client.send("post", f"/api/v1/invoices/{invoice_id}/dispute", {"reason": ""})
        disputed = client.send(
            "post", f"/api/v1/invoices/{invoice_id}/dispute", {"reason": "Not agreed."}
        )
    assert empty.status_code == 422
    assert disputed.status_code == 201, disputed.content
    assert (disputed.json()["invoice_id"], disputed.json()["state"]) == (
        invoice_id,
        "awaiting_response",
    )
    invoice = client.get(f"/api/v1/contracts/{contract.pk}/invoices").json()["items"][0]
    assert (invoice["state"], invoice["dispute_reason"]) == ("disputed", "Not agreed.")
    far = client.get(f"/api/v1/contracts/{contract.pk}/timesheet", week="9999-12-31")
    assert far.status_code == 422


def test_the_client_chooses_the_card_for_invoices_through_the_api():
    contract = hired()
    api = ApiClient(contract.client)
    path = f"/api/v1/contracts/{contract.pk}/hourly-card"
    done = api.send("put", path, {"card": "pm_card_visa"})
    assert done.status_code == 200, done.content
    assert done.json() == {"id": contract.pk, "card": "pm_card_visa"}
    assert api.send("put", path, {"card": "x" * 101}).status_code == 422
    assert ApiClient(contract.freelancer).send("put", path, {"card": ""}).status_code == 409
    assert ApiClient(UserFactory()).send("put", path, {"card": ""}).status_code == 404
