import pytest

from openlance.accounts.models import AuditLogEntry, PersonalAccessToken, Role
from openlance.accounts.services import token_create
from openlance.accounts.tests.factories import client_user, freelancer_user

pytestmark = pytest.mark.django_db

PAGES = ["/account/", "/account/tokens/", "/wallet/"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_need_a_signed_in_user(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(f"/accounts/login/?next={path}")


@pytest.mark.parametrize(
    "path", ["/account/name/", "/account/roles/", "/account/role/", "/account/tokens/new/"]
)
def test_posts_need_a_signed_in_user(client, path):
    response = client.post(path, {})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_account_page_shows_name_email_roles_two_factor_and_tokens(client):
    user = freelancer_user(first_name="Ada", last_name="Lovelace", email="ada@example.com")
    client.force_login(user)
    html = client.get("/account/").content.decode()
    assert "ada@example.com" in html
    assert "Verified" in html
    assert 'value="Ada"' in html
    assert "Ada L." in html
    assert "Set up two-factor" in html
    assert "0 active tokens" in html


def test_account_page_shows_an_unverified_email(client):
    user = freelancer_user(verified_email=False)
    client.force_login(user)
    assert "Not verified" in client.get("/account/").content.decode()


def test_name_change_saves_through_the_service(client):
    user = freelancer_user()
    client.force_login(user)
    response = client.post("/account/name/", {"first_name": " Grace ", "last_name": "Hopper"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Grace", "Hopper")


def test_blank_name_is_shown_as_a_field_error_and_nothing_changes(client):
    user = freelancer_user(first_name="Ada")
    client.force_login(user)
    response = client.post("/account/name/", {"first_name": "   ", "last_name": "X"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_first_name_errors"' in html
    user.refresh_from_db()
    assert user.first_name == "Ada"


def test_roles_can_be_set_and_none_is_refused_in_place(client):
    user = freelancer_user()
    client.force_login(user)
    client.post("/account/roles/", {"freelancer": "on", "client": "on"})
    user.refresh_from_db()
    assert user.roles == ["freelancer", "client"]

    response = client.post("/account/roles/", {})
    assert response.status_code == 200
    assert "Pick freelancer, client or both." in response.content.decode()
    user.refresh_from_db()
    assert user.roles == ["freelancer", "client"]


def test_role_switch_changes_the_active_role_and_returns_to_the_page(client):
    user = freelancer_user()
    client.force_login(user)
    response = client.post("/account/role/", {"role": "client", "next": "/wallet/"})
    assert response.status_code == 302
    assert response["Location"] == "/wallet/"
    user.refresh_from_db()
    assert user.active_role == Role.CLIENT
    assert user.is_client
    assert "acting as a Client" in client.get("/wallet/").content.decode()


def test_role_switch_never_redirects_off_site(client):
    client.force_login(client_user())
    response = client.post("/account/role/", {"role": "freelancer", "next": "https://evil.test/"})
    assert response["Location"] == "/"


def test_role_switch_rejects_an_unknown_role(client):
    user = client_user()
    client.force_login(user)
    client.post("/account/role/", {"role": "admin"})
    user.refresh_from_db()
    assert user.active_role == Role.CLIENT
    assert "is not a role" in client.get("/").content.decode()


def test_tokens_page_has_an_empty_state(client):
    client.force_login(freelancer_user())
    html = client.get("/account/tokens/").content.decode()
    assert "No tokens yet" in html


def test_creating_a_token_shows_the_secret_once(client):
    user = freelancer_user()
    client.force_login(user)
    response = client.post("/account/tokens/new/", {"name": "laptop script"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    token = PersonalAccessToken.objects.get(user=user)
    assert token.name == "laptop script"
    secret = html.split('data-testid="token-secret">')[1].split("<")[0]
    assert secret.startswith(token.prefix)
    listing = client.get("/account/tokens/").content.decode()
    assert "laptop script" in listing
    assert token.prefix in listing
    assert secret not in listing


def test_a_token_without_a_name_is_refused_in_place(client):
    user = freelancer_user()
    client.force_login(user)
    response = client.post("/account/tokens/new/", {"name": ""})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not PersonalAccessToken.objects.filter(user=user).exists()


def test_revoking_asks_for_confirmation_then_revokes(client):
    user = freelancer_user()
    token, _ = token_create(user=user, name="ci")
    client.force_login(user)
    confirm = client.get(f"/account/tokens/{token.pk}/revoke/")
    assert "Revoke “ci”?" in confirm.content.decode()
    token.refresh_from_db()
    assert token.is_active

    response = client.post(f"/account/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert not token.is_active
    assert "Revoked" in client.get("/account/tokens/").content.decode()


def test_one_user_cannot_see_or_revoke_anothers_token(client):
    owner = freelancer_user()
    token, _ = token_create(user=owner, name="theirs")
    client.force_login(client_user())
    assert client.get(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.is_active
    assert not AuditLogEntry.objects.exists()
