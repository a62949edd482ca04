import re

import pytest
from django.core import mail
from django.test import override_settings

from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.billing.models import Payout, PayoutSettings, WithdrawalMethod
from openlance.billing.payout_forms import MethodForm
from openlance.billing.payouts import withdrawal_method_add
from openlance.billing.tests.payout_helpers import (
    available,
    balance,
    pending_earning,
    usable_method,
)
from openlance.core import clock
from openlance.core.services import outbox_drain
from openlance.ledger.models import AccountKind

pytestmark = pytest.mark.usefixtures("assert_ledger_sound")
HTMX = {"HX-Request": "true"}


def _withdraw_key(html):
    return re.search(r'name="key" value="([0-9a-f-]{36})"', html).group(1)


def test_freelancer_wallet_shows_balances_settings_and_fees(client):
    user = freelancer_user()
    available(user, 12_000, 1)
    pending_earning(user, 3_000, 2)
    client.force_login(user)
    html = client.get("/wallet/").content.decode()
    assert 'data-testid="balance-freelancer_available">$120.00' in html
    assert 'data-testid="balance-freelancer_pending">$30.00' in html
    assert 'data-testid="balance-escrow">$0.00' in html
    assert "Withdrawal settings" in html
    assert "Wire transfer" in html
    assert "Add a withdrawal method" in html
    assert "Gross $30.00 · Service fee $0.00 · Net to freelancer $30.00" in html
    assert 'href="/wallet/export.csv"' in html


def test_add_method_with_htmx_swaps_the_settings_card(client):
    user = freelancer_user()
    client.force_login(user)
    response = client.post(
        "/wallet/methods/add/", {"kind": "paypal", "email": "jane.doe@example.com"}, headers=HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card mt" id="payout-settings">')
    assert "PayPal j•••@example.com" in html
    assert "jane.doe" not in html
    assert "Active from" in html
    assert "Default" in html
    assert WithdrawalMethod.objects.filter(user=user).count() == 1


BANK = {"holder_name": "Jane Doe", "routing_number": "110000000", "account_number": "000123456789"}


@pytest.mark.parametrize(
    ("kind", "details", "shown"),
    [
        ("ach", BANK, "US bank (ACH) ••••6789"),
        ("local_bank", {"holder_name": "Jane", "iban": "DE89 3704 0044 0532 0130 00"}, "••••3000"),
        ("wire", {"holder_name": "Jane", "bic": "DEUTDEFF", "account_number": "12345678"}, "5678"),
        ("instant", {"holder_name": "Jane", "card_number": "4000 0566 5566 5556"}, "••••5556"),
    ],
)
def test_each_method_takes_its_details_and_keeps_only_a_token_and_the_last_digits(
    client, kind, details, shown
):
    user = freelancer_user()
    client.force_login(user)
    response = client.post("/wallet/methods/add/", {"kind": kind, **details}, headers=HTMX)
    assert response.status_code == 200, response.content.decode()
    html = response.content.decode()
    assert shown in html
    method = WithdrawalMethod.objects.get(user=user)
    assert method.destination.startswith("ba_sbx_")
    stored = repr(WithdrawalMethod.objects.values_list(flat=False))
    secret = {k: v for k, v in details.items() if k != "routing_number"}  # a bank's, public
    for value in secret.values():
        compact = value.replace(" ", "")
        if compact.isdigit() or compact.startswith("DE"):
            assert compact not in stored
            assert compact not in html


@pytest.mark.parametrize(
    ("kind", "details", "field", "message"),
    [
        ("ach", {**BANK, "routing_number": "110000001"}, "routing_number", "9-digit routing"),
        ("ach", {**BANK, "account_number": "12"}, "account_number", "4 to 17 digits"),
        ("ach", {"routing_number": "110000000", "account_number": "1234"}, "holder_name", "Req"),
        ("local_bank", {"holder_name": "J", "iban": "DE89370400440532013001"}, "iban", "IBAN"),
        ("wire", {"holder_name": "J", "bic": "NOPE"}, "bic", "SWIFT/BIC"),
        ("wire", {"holder_name": "J", "bic": "DEUTDEFF"}, "iban", "or the account number"),
        ("paypal", {"email": "not-an-address"}, "email", "valid email"),
        ("instant", {"holder_name": "J", "card_number": "4000056655665557"}, "card_number", "as"),
    ],
)
def test_add_method_errors_show_in_place(client, kind, details, field, message):
    user = freelancer_user()
    client.force_login(user)
    response = client.post("/wallet/methods/add/", {"kind": kind, **details})
    assert response.status_code == 422
    form = response.context["method_form"]
    assert message in " ".join(form.errors[field])
    assert not WithdrawalMethod.objects.exists()


def test_the_sandbox_account_that_closes_bounces_payouts(client):
    user = freelancer_user()
    client.force_login(user)
    client.post("/wallet/methods/add/", {"kind": "ach", **BANK, "account_number": "000111111116"})
    assert WithdrawalMethod.objects.get(user=user).destination == "ba_returns"


def test_make_default_and_remove_without_htmx_redirect(client):
    user = freelancer_user()
    first = withdrawal_method_add(user=user, kind="ach", destination="ba_1", last4="1111")
    second = withdrawal_method_add(user=user, kind="wire", destination="ba_2", last4="2222")
    client.force_login(user)
    response = client.post(f"/wallet/methods/{second.pk}/default/")
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.is_default
    assert client.post(f"/wallet/methods/{first.pk}/remove/").status_code == 302
    first.refresh_from_db()
    assert first.removed_at is not None


def test_someone_elses_method_is_404(client):
    method = withdrawal_method_add(
        user=freelancer_user(), kind="ach", destination="ba_1", last4="1111"
    )
    client.force_login(freelancer_user())
    assert client.post(f"/wallet/methods/{method.pk}/remove/").status_code == 404
    assert client.post("/wallet/methods/99999999999999999999/default/").status_code == 404
    method.refresh_from_db()
    assert method.removed_at is None


def test_schedule_form_saves_and_refuses_low_thresholds(client):
    user = freelancer_user()
    client.force_login(user)
    low = client.post("/wallet/schedule/", {"schedule": "weekly", "threshold": "50"}, headers=HTMX)
    assert "At least $100.00." in low.content.decode()
    assert not PayoutSettings.objects.exists()
    ok = client.post(
        "/wallet/schedule/", {"schedule": "monthly", "threshold": "$250"}, headers=HTMX
    )
    assert "Payout schedule saved." in ok.content.decode()
    assert PayoutSettings.objects.get(user=user).threshold_cents == 25_000


def test_get_paid_now_from_the_wallet_once_per_form(client):
    user = freelancer_user()
    method = usable_method(user)
    available(user, 50_000)
    client.force_login(user)
    key = _withdraw_key(client.get("/wallet/").content.decode())
    data = {"amount": "200", "method": method.pk, "key": key}
    assert client.post("/wallet/withdraw/", data).status_code == 302
    assert client.post("/wallet/withdraw/", data).status_code == 302
    assert Payout.objects.count() == 1
    assert balance(user, AccountKind.FREELANCER_AVAILABLE) == 30_000
    html = client.get("/wallet/").content.decode()
    assert "$200.00 is on its way" in html
    assert "On its way" in html
    assert client.get("/wallet/payouts/").status_code == 200


def test_get_paid_now_refusal_shown_on_the_form(client):
    user = freelancer_user()
    method = usable_method(user)
    available(user, 5_000)
    client.force_login(user)
    key = _withdraw_key(client.get("/wallet/").content.decode())
    response = client.post("/wallet/withdraw/", {"amount": "60", "method": method.pk, "key": key})
    assert response.status_code == 422
    assert "At most $50.00." in response.content.decode()
    assert not Payout.objects.exists()
    assert balance(user, AccountKind.FREELANCER_AVAILABLE) == 5_000


def test_returned_payout_shows_and_mails(client):
    user = freelancer_user()
    method = usable_method(user, destination="ba_returns")
    available(user, 50_000)
    client.force_login(user)
    key = _withdraw_key(client.get("/wallet/").content.decode())
    client.post("/wallet/withdraw/", {"amount": "100", "method": method.pk, "key": key})
    html = client.get("/wallet/").content.decode()
    assert "came back" in html
    assert "Returned" in html
    assert balance(user, AccountKind.FREELANCER_AVAILABLE) == 50_000
    outbox_drain(now=clock.now())
    assert any("returned" in m.subject for m in mail.outbox)


def test_inactive_methods_explain_the_wait(client):
    user = freelancer_user()
    withdrawal_method_add(user=user, kind="ach", destination="ba_1", last4="1111")
    client.force_login(user)
    assert "not active yet" in client.get("/wallet/").content.decode()


def test_client_sees_billing_history_and_no_payout_settings(client):
    buyer = client_user()
    client.force_login(buyer)
    html = client.get("/wallet/").content.decode()
    assert "Billing history" in html
    assert "Withdrawal settings" not in html
    assert (
        client.post("/wallet/schedule/", {"schedule": "weekly", "threshold": "100"}).status_code
        == 404
    )
    assert client.get("/wallet/payouts/").status_code == 404


def test_csv_export_is_the_users_own(client):
    user, other = freelancer_user(), freelancer_user()
    available(user, 1_234)
    available(other, 9_876)
    client.force_login(user)
    response = client.get("/wallet/export.csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    assert "12.34" in body
    assert "98.76" not in body


def test_wallet_pages_need_login(client):
    for url in ("/wallet/export.csv", "/wallet/payouts/"):
        assert client.get(url).status_code == 302
    assert client.post("/wallet/withdraw/").status_code == 302


def test_htmx_default_change_also_refreshes_the_automatic_payouts_card(client):
    user = freelancer_user()
    withdrawal_method_add(user=user, kind="ach", destination="ba_1", last4="1111")
    second = withdrawal_method_add(user=user, kind="wire", destination="ba_2", last4="2222")
    client.force_login(user)
    html = client.post(f"/wallet/methods/{second.pk}/default/", headers=HTMX).content.decode()
    assert 'id="automatic-payouts" hx-swap-oob="true"' in html
    assert "Wire transfer ••••2222 (active from" in html


def test_openapi_lists_the_payout_endpoints(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in ("/api/v1/payouts", "/api/v1/payouts/methods", "/api/v1/payouts/settings"):
        assert path in paths
    assert "/api/v1/wallet/export.csv" in paths


@override_settings(PAYMENT_GATEWAY="stripe")
def test_with_stripe_the_method_is_the_connected_stripe_account():
    form = MethodForm({"kind": "ach", "account_number": "000123456789"})
    assert set(form.fields) == {"kind", "stripe_account"}
    assert form.is_valid()
    assert form.cleaned_data["details"] == {"stripe_account": ""}
