import pytest

from openlance.accounts.models import AuditLogEntry, Role
from openlance.accounts.services import (
    audit_record,
    token_create,
    token_revoke,
    user_set_roles,
    user_switch_role,
    user_update_name,
)
from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.core.errors import InvalidInput, NotFound

pytestmark = pytest.mark.django_db


def test_switching_to_a_role_takes_it_up():
    user = freelancer_user()
    user_switch_role(user=user, role="client")
    user.refresh_from_db()
    assert (user.is_freelancer, user.is_client, user.active_role) == (True, True, Role.CLIENT)


def test_unknown_role_changes_nothing():
    user = freelancer_user()
    with pytest.raises(InvalidInput):
        user_switch_role(user=user, role="admin")
    user.refresh_from_db()
    assert user.active_role == Role.FREELANCER


def test_dropping_the_active_role_moves_to_the_other():
    user = client_user()
    user_set_roles(user=user, freelancer=True, client=True)
    user_switch_role(user=user, role="client")
    user_set_roles(user=user, freelancer=True, client=False)
    user.refresh_from_db()
    assert user.active_role == Role.FREELANCER
    with pytest.raises(InvalidInput):
        user_set_roles(user=user, freelancer=False, client=False)


def test_names_and_public_name():
    user = freelancer_user()
    user_update_name(user=user, first_name=" Grace ", last_name="Hopper")
    assert user.public_name == "Grace H."
    assert user.display_name == "Grace Hopper"
    with pytest.raises(InvalidInput):
        user_update_name(user=user, first_name="", last_name="Hopper")


def test_token_secret_shown_once_and_revocation_is_scoped():
    owner, stranger = freelancer_user(), freelancer_user()
    token, secret = token_create(user=owner, name="ci")
    assert secret.startswith(token.prefix)
    assert secret != token.token_hash
    with pytest.raises(NotFound):
        token_revoke(user=stranger, token_id=token.pk)
    token.refresh_from_db()
    assert token.is_active
    revoked = token_revoke(user=owner, token_id=token.pk)
    assert not revoked.is_active
    assert token_revoke(user=owner, token_id=token.pk).revoked_at == revoked.revoked_at


@pytest.mark.parametrize("name", ["", "   ", "x" * 81])
def test_token_needs_a_name(name):
    with pytest.raises(InvalidInput):
        token_create(user=freelancer_user(), name=name)


def test_audit_record():
    staff = freelancer_user(is_staff=True)
    target = freelancer_user()
    entry = audit_record(
        actor=staff, action="user.deactivate", target=target, detail={"why": "spam"}
    )
    assert (entry.target_type, entry.target_id) == ("User", str(target.pk))
    assert AuditLogEntry.objects.get().detail == {"why": "spam"}
