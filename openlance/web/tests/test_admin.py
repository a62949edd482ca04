import html
import json
import re

import pytest
from django.contrib.auth.models import Group

from openlance.accounts.models import AuditLogEntry, User
from openlance.accounts.services import token_create
from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.billing.gateway import SandboxGateway
from openlance.billing.models import SandboxOperation
from openlance.billing.services import funds_deposit
from openlance.core import clock
from openlance.core.models import OutboxEvent, Policy
from openlance.core.money import Money
from openlance.core.presets import PRESETS
from openlance.ledger.models import Transfer

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client):
    user = User.objects.create_superuser("ops@example.com", "x")
    client.force_login(user)
    return user


def test_console_is_branded_and_lists_every_model(client, operator):
    html = client.get("/admin/").content.decode()
    assert "Openlance operator console" in html
    for name in [
        "Users",
        "Personal access tokens",
        "Audit log entries",
        "Policies",
        "Outbox events",
        "Idempotency records",
        "Ledger accounts",
        "Transfers",
        "Entries",
        "Sandbox operations",
    ]:
        assert name in html


def test_every_list_and_detail_page_loads(client, operator):
    funds_deposit(user=client_user(), amount=Money(10_000), payment_method="pm_card_visa", key="k")
    token_create(user=freelancer_user(), name="t")
    transfer = Transfer.objects.get()
    for path in [
        "/admin/accounts/user/",
        f"/admin/accounts/user/{operator.pk}/change/",
        "/admin/accounts/personalaccesstoken/",
        "/admin/accounts/auditlogentry/",
        "/admin/core/policy/",
        f"/admin/core/policy/{Policy.objects.first().pk}/change/",
        "/admin/core/policy/add/",
        "/admin/core/outboxevent/",
        "/admin/core/idempotencyrecord/",
        "/admin/ledger/ledgeraccount/",
        "/admin/ledger/transfer/",
        f"/admin/ledger/transfer/{transfer.pk}/change/",
        "/admin/ledger/entry/",
        "/admin/billing/sandboxoperation/",
    ]:
        assert client.get(path).status_code == 200, path


def test_ledger_records_cannot_be_added_changed_or_deleted(client, operator):
    funds_deposit(user=client_user(), amount=Money(10_000), payment_method="pm_card_visa", key="k")
    transfer = Transfer.objects.get()
    assert client.get("/admin/ledger/transfer/add/").status_code == 403
    assert client.get(f"/admin/ledger/transfer/{transfer.pk}/delete/").status_code == 403
    detail = client.get(f"/admin/ledger/transfer/{transfer.pk}/change/").content.decode()
    assert 'name="_save"' not in detail
    assert "$100.00" in detail


def test_policy_versions_are_read_only(client, operator):
    policy = Policy.objects.first()
    response = client.post(f"/admin/core/policy/{policy.pk}/change/", {"label": "edited"})
    assert response.status_code == 403
    assert client.get(f"/admin/core/policy/{policy.pk}/delete/").status_code == 403


def _policy_form(**overrides):
    data = {
        "kind": "fees",
        "label": "2030 fees",
        "effective_from": "2030-01-01 00:00",
        "params": json.dumps(PRESETS[-1]["params"]["fees"]),
        "note": "Lower marketplace fee.",
    }
    data.update(overrides)
    return data


def test_adding_a_policy_version_goes_through_the_service_and_is_audited(client, operator):
    response = client.post("/admin/core/policy/add/", _policy_form())
    assert response.status_code == 302
    policy = Policy.objects.get(label="2030 fees")
    assert policy.created_by == operator
    entry = AuditLogEntry.objects.get(action="policy.added")
    assert entry.actor == operator
    assert entry.target_id == str(policy.pk)


def test_add_form_starts_from_the_version_in_force(client, operator):
    html = client.get("/admin/core/policy/add/", {"kind": "fees"}).content.decode()
    assert "client_marketplace_fee_bp" in html


def test_add_form_submitted_as_prefilled_is_accepted(client, operator):
    page = client.get("/admin/core/policy/add/", {"kind": "fees"}).content.decode()
    prefilled = html.unescape(re.search(r'name="effective_from"[^>]*value="([^"]*)"', page)[1])
    params = html.unescape(
        re.search(r'<textarea name="params"[^>]*>(.*?)</textarea>', page, re.S)[1]
    )
    response = client.post(
        "/admin/core/policy/add/",
        _policy_form(effective_from=prefilled, params=params.strip()),
    )
    assert response.status_code == 302
    assert Policy.objects.get(label="2030 fees").effective_from > clock.now()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"params": "{not json"}, "Enter a valid JSON."),
        (
            {"params": json.dumps({"client_marketplace_fee_bp": 300})},
            "freelancer_fee: Field required",
        ),
        (
            {
                "params": json.dumps(
                    {**PRESETS[-1]["params"]["fees"], "client_marketplace_fee_bp": -1}
                )
            },
            "client_marketplace_fee_bp: Input should be greater than or equal to 0",
        ),
        ({"effective_from": "2001-01-01 00:00"}, "Must be now or later."),
    ],
)
def test_policy_add_form_rejects_bad_input_in_place(client, operator, overrides, message):
    before = Policy.objects.count()
    response = client.post("/admin/core/policy/add/", _policy_form(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Policy.objects.count() == before
    assert not AuditLogEntry.objects.exists()


def test_a_duplicate_effective_date_is_refused_in_place(client, operator):
    client.post("/admin/core/policy/add/", _policy_form())
    response = client.post("/admin/core/policy/add/", _policy_form(label="again"))
    assert response.status_code == 200
    assert "already takes effect" in response.content.decode()


def test_revoking_tokens_from_the_console_is_audited(client, operator):
    token, _ = token_create(user=freelancer_user(), name="leaked")
    response = client.post(
        "/admin/accounts/personalaccesstoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert not token.is_active
    assert AuditLogEntry.objects.get(action="token.revoked").actor == operator


def test_settling_sandbox_payouts_from_the_console_is_audited(client, operator):
    gateway = SandboxGateway()
    paid = gateway.payout(amount=Money(5_000), destination="ba_ok", idempotency_key="p1")
    returned = gateway.payout(amount=Money(5_000), destination="ba_ok", idempotency_key="p2")
    ids = {op.reference: op.pk for op in SandboxOperation.objects.all()}
    client.post(
        "/admin/billing/sandboxoperation/",
        {"action": "mark_paid", "_selected_action": [ids[paid.reference]]},
    )
    client.post(
        "/admin/billing/sandboxoperation/",
        {"action": "mark_returned", "_selected_action": [ids[returned.reference]]},
    )
    assert gateway.payout_status(reference=paid.reference).status == "paid"
    assert gateway.payout_status(reference=returned.reference).status == "returned"
    assert set(AuditLogEntry.objects.values_list("action", flat=True)) == {
        "sandbox.payout_paid",
        "sandbox.payout_returned",
    }


def test_changing_a_users_access_is_audited(client, operator):
    user = freelancer_user()
    finance = Group.objects.get(name="Finance")
    response = client.post(
        f"/admin/accounts/user/{user.pk}/change/",
        {"is_active": "on", "is_staff": "on", "groups": [finance.pk]},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_staff
    assert list(user.groups.all()) == [finance]
    entry = AuditLogEntry.objects.get(action="user.access_changed")
    assert entry.detail["is_staff"] == [False, True]
    assert entry.detail["groups"] == [[], ["Finance"]]


def test_an_operator_cannot_lock_themselves_out(client, operator):
    response = client.post(
        f"/admin/accounts/user/{operator.pk}/change/", {"is_active": "on", "is_superuser": "on"}
    )
    assert response.status_code == 200
    assert "You cannot lock yourself out" in response.content.decode()
    operator.refresh_from_db()
    assert operator.is_staff


def test_users_are_never_deleted_from_the_console(client, operator):
    user = freelancer_user()
    assert client.get(f"/admin/accounts/user/{user.pk}/delete/").status_code == 403


def test_outbox_events_that_were_given_up_on_can_be_listed(client, operator):
    now = clock.now()
    dead = OutboxEvent.objects.create(kind="x", created_at=now, attempts=10, dead_at=now)
    retrying = OutboxEvent.objects.create(kind="x", created_at=now, attempts=2)
    done = OutboxEvent.objects.create(kind="x", created_at=now, attempts=1, processed_at=now)
    page = client.get("/admin/core/outboxevent/", {"state": "dead"}).content.decode()
    listed = {int(pk) for pk in re.findall(r"/admin/core/outboxevent/(\d+)/change/", page)}
    assert dead.pk in listed
    assert retrying.pk not in listed
    assert done.pk not in listed
