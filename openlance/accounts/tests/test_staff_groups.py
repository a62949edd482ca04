import pytest
from django.contrib.auth.models import Group

from openlance.accounts.models import User

pytestmark = pytest.mark.django_db


def test_support_only_reads():
    codenames = set(
        Group.objects.get(name="Support").permissions.values_list("codename", flat=True)
    )
    assert {"view_jobpost", "view_personalaccesstoken", "view_user"} <= codenames
    assert {name for name in codenames if not name.startswith("view_")} == set()


def test_a_support_member_cannot_remove_posts_or_revoke_tokens():
    support = User.objects.create_user("support@example.com", "x", is_staff=True)
    support.groups.add(Group.objects.get(name="Support"))
    assert support.has_perm("jobs.view_jobpost")
    assert not support.has_perm("jobs.change_jobpost")
    assert not support.has_perm("accounts.change_personalaccesstoken")


def test_finance_and_support_read_payouts_in_the_console(client):
    finance = User.objects.create_user("finance@example.com", "x", is_staff=True)
    finance.groups.add(Group.objects.get(name="Finance"))
    assert finance.has_perm("billing.view_payout")
    assert finance.has_perm("billing.view_pendingearning")
    assert not finance.has_perm("billing.change_payout")
    client.force_login(finance)
    assert client.get("/admin/billing/payout/").status_code == 200
    support = User.objects.create_user("support2@example.com", "x", is_staff=True)
    support.groups.add(Group.objects.get(name="Support"))
    assert support.has_perm("connects.view_connectsmove")
    assert support.has_perm("billing.view_withdrawalmethod")
