"""Login lockout (django-axes) and TOTP two-factor (allauth.mfa), end to end through the
real views."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from axes.models import AccessAttempt
from django.test import Client

from openlance.accounts.tests.factories import PASSWORD, freelancer_user

pytestmark = pytest.mark.django_db


def _login(browser, email, password):
    return browser.post("/accounts/login/", {"login": email, "password": password})


def _current_code(secret):
    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))


def test_repeated_failures_lock_the_account_out(settings):
    settings.ACCOUNT_RATE_LIMITS = False
    user = freelancer_user()
    browser = Client()
    statuses = [
        _login(browser, user.email, "wrong password").status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    assert AccessAttempt.objects.get().failures_since_start == settings.AXES_FAILURE_LIMIT
    locked = _login(browser, user.email, PASSWORD)
    assert locked.status_code == 429
    assert "_auth_user_id" not in browser.session
    assert b"too many failed sign-ins" in locked.content.lower()


def test_correct_password_logs_in_and_clears_failures(settings):
    settings.ACCOUNT_RATE_LIMITS = False
    user = freelancer_user()
    browser = Client()
    _login(browser, user.email, "wrong password")
    response = _login(browser, user.email, PASSWORD)
    assert response.status_code == 302
    assert browser.session["_auth_user_id"] == str(user.pk)


def test_totp_activation_then_login_asks_for_a_code(settings):
    settings.ACCOUNT_RATE_LIMITS = False
    settings.MFA_TOTP_TOLERANCE = 1  # a code computed at :29 s is still good at :30 s
    user = freelancer_user()
    browser = Client()
    assert _login(browser, user.email, PASSWORD).status_code == 302
    assert (
        browser.get("/accounts/2fa/totp/activate/").status_code == 302
    )  # asks for the password again
    assert browser.post("/accounts/reauthenticate/", {"password": PASSWORD}).status_code == 302
    assert browser.get("/accounts/2fa/totp/activate/").status_code == 200
    secret = browser.session["mfa.totp.secret"]
    wrong = browser.post("/accounts/2fa/totp/activate/", {"code": "000000"})
    assert wrong.status_code == 200
    assert not Authenticator.objects.filter(user=user, type="totp").exists()
    activated = browser.post("/accounts/2fa/totp/activate/", {"code": _current_code(secret)})
    assert activated.status_code == 302
    assert Authenticator.objects.filter(user=user, type="totp").exists()

    fresh = Client()
    stage = _login(fresh, user.email, PASSWORD)
    assert stage.status_code == 302
    assert "/2fa/authenticate" in stage["Location"]
    assert "_auth_user_id" not in fresh.session
    assert fresh.post("/accounts/2fa/authenticate/", {"code": "123456"}).status_code == 200
    assert "_auth_user_id" not in fresh.session
    done = fresh.post("/accounts/2fa/authenticate/", {"code": _current_code(secret)})
    assert done.status_code == 302
    assert fresh.session["_auth_user_id"] == str(user.pk)
