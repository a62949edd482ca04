"""The failed sign-in lockout (django-axes) is keyed on the account and the address
together: failures against one account do not keep anyone else out (issue 11)."""

import pytest
from axes.models import AccessAttempt
from django.test import Client

from openlance.accounts.tests.factories import PASSWORD, client_user, freelancer_user

pytestmark = pytest.mark.django_db

OFFICE = "203.0.113.7"
HOME = "198.51.100.23"


def _login(email, password, address=OFFICE):
    browser = Client(REMOTE_ADDR=address)
    response = browser.post("/accounts/login/", {"login": email, "password": password})
    return response, browser


def _fail_until_locked(settings, email):
    statuses = [
        _login(email, "wrong password")[0].status_code for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]


def test_failures_on_one_account_do_not_lock_out_another_from_the_same_address(settings):
    target, colleague = freelancer_user(), client_user()
    _fail_until_locked(settings, target.email)
    response, browser = _login(target.email, PASSWORD)
    assert response.status_code != 302
    assert "_auth_user_id" not in browser.session

    response, browser = _login(colleague.email, PASSWORD)
    assert response.status_code == 302
    assert browser.session["_auth_user_id"] == str(colleague.pk)


def test_the_lock_holds_the_account_at_that_address_only(settings):
    """Five failures lock the account out from the address they came from, for an hour;
    the owner signing in from elsewhere is not locked out by a stranger's guesses."""
    settings.ACCOUNT_RATE_LIMITS = False  # axes alone, without allauth's own limits
    target = freelancer_user()
    _fail_until_locked(settings, target.email)
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address) == (target.email, OFFICE)
    assert attempt.failures_since_start == settings.AXES_FAILURE_LIMIT
    assert _login(target.email, PASSWORD)[0].status_code == 429

    response, browser = _login(target.email, PASSWORD, address=HOME)
    assert response.status_code == 302
    assert browser.session["_auth_user_id"] == str(target.pk)
