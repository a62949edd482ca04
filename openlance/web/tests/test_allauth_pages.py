"""allauth's pages render inside our layout, with form errors shown in place."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from openlance.accounts.models import Role, User
from openlance.accounts.tests.factories import PASSWORD, freelancer_user

pytestmark = pytest.mark.django_db

LAYOUT = "web/app.css"


@pytest.fixture
def signed_in(client):
    """Signed in, and access confirmed, as allauth asks before two-factor settings."""
    freelancer_user(email="ada@example.com")
    client.post("/accounts/login/", {"login": "ada@example.com", "password": PASSWORD})
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    return client


def _in_layout(response):
    html = response.content.decode()
    assert response.status_code == 200, html[:500]
    assert LAYOUT in html
    assert 'class="site-header"' in html
    return html


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/accounts/password/reset/done/",
        "/accounts/confirm-email/",
    ],
)
def test_anonymous_pages_render_in_our_layout(client, path):
    html = _in_layout(client.get(path))
    assert 'class="card"' in html


def test_signup_asks_for_name_and_role_and_sends_a_verification_email(client):
    html = _in_layout(client.get("/accounts/signup/"))
    for field in ['name="first_name"', 'name="last_name"', 'name="role"', 'name="email"']:
        assert field in html
    response = client.post(
        "/accounts/signup/",
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "role": "both",
            "email": "ada@example.com",
            "password1": "an-unusual-passphrase",
            "password2": "an-unusual-passphrase",
        },
        follow=True,
    )
    html = _in_layout(response)
    assert "ada@example.com" in html
    user = User.objects.get(email="ada@example.com")
    assert (user.first_name, user.roles, user.active_role) == (
        "Ada",
        ["freelancer", "client"],
        Role.FREELANCER,
    )
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)
    confirm = _in_layout(client.get(link.split("testserver", 1)[1]))
    assert 'method="post"' in confirm


def test_signup_errors_are_shown_next_to_their_fields(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "not-an-email", "password1": "short", "password2": "other", "role": "x"},
    )
    html = _in_layout(response)
    assert 'id="id_email_errors"' in html
    assert 'id="id_first_name_errors"' in html
    assert 'id="id_role_errors"' in html
    assert not User.objects.exists()


def test_login_with_a_wrong_password_shows_the_error_in_place(client):
    freelancer_user(email="ada@example.com")
    html = _in_layout(
        client.post("/accounts/login/", {"login": "ada@example.com", "password": "wrong"})
    )
    assert "form-errors" in html
    assert "not correct" in html


def test_login_and_logout(client):
    freelancer_user(email="ada@example.com")
    response = client.post("/accounts/login/", {"login": "ada@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert "Welcome," in client.get("/").content.decode()
    _in_layout(client.get("/accounts/logout/"))
    client.post("/accounts/logout/")
    assert "Create an account" in client.get("/").content.decode()


def test_password_reset_all_steps_render_in_our_layout(client):
    freelancer_user(email="ada@example.com")
    response = client.post("/accounts/password/reset/", {"email": "ada@example.com"}, follow=True)
    _in_layout(response)
    link = re.search(r"/accounts/password/reset/key/\S+/", mail.outbox[0].body).group(0)
    form_page = client.get(link, follow=True)
    html = _in_layout(form_page)
    assert 'name="password1"' in html
    done = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link,
        {"password1": "another-long-passphrase", "password2": "another-long-passphrase"},
        follow=True,
    )
    _in_layout(done)


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/email/",
        "/accounts/password/change/",
        "/accounts/2fa/",
        "/accounts/2fa/totp/activate/",
    ],
)
def test_manage_pages_render_in_our_layout_with_the_settings_menu(signed_in, path):
    client = signed_in
    html = _in_layout(client.get(path, follow=True))
    assert 'class="side-nav"' in html


def test_totp_activation_with_a_wrong_code_shows_the_error_in_place(signed_in):
    client = signed_in
    html = _in_layout(client.get("/accounts/2fa/totp/activate/", follow=True))
    assert 'class="qr"' in html
    response = client.post("/accounts/2fa/totp/activate/", {"code": "000000"}, follow=True)
    html = _in_layout(response)
    assert "Incorrect code." in html
    assert 'id="id_code_errors"' in html


def test_sensitive_settings_ask_to_confirm_access_inside_our_layout(client):
    client.force_login(freelancer_user())
    html = _in_layout(client.get("/accounts/2fa/totp/activate/", follow=True))
    assert "Confirm Access" in html
    assert 'class="auth-card"' in html


def test_email_page_shows_verified_state(client):
    user = freelancer_user()
    client.force_login(user)
    html = _in_layout(client.get("/accounts/email/"))
    assert "badge-ok" in html
    assert EmailAddress.objects.filter(user=user, verified=True).exists()
