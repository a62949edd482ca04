import pytest
from django.core.management import CommandError, call_command

from openlance.accounts.tests.factories import freelancer_user
from openlance.connects.models import ConnectsAccount, ConnectsLot
from openlance.connects.services import connects_grant

pytestmark = pytest.mark.django_db


def _granted():
    user = freelancer_user()
    connects_grant(user=user, units=10, source="purchase", key="k", description="t")
    return user


def test_connects_check_and_ledger_check_pass_on_sound_books(capsys):
    _granted()
    call_command("ledger_check")
    out = capsys.readouterr().out
    assert "Ledger sound" in out
    assert "Connects sound: 1 accounts, 1 moves, 1 entries." in out


def test_a_drifted_lot_fails_both_commands(capsys):
    user = _granted()
    ConnectsLot.objects.filter(account__user=user).update(remaining=9)
    for command in ("connects_check", "ledger_check"):
        with pytest.raises(CommandError):
            call_command(command)
    assert "remaining 9 but entries sum to 10" in capsys.readouterr().err


def test_a_drifted_balance_is_caught(capsys):
    user = _granted()
    ConnectsAccount.objects.filter(user=user).update(balance=11)
    with pytest.raises(CommandError):
        call_command("connects_check")
    assert "balance 11 but lots hold 10" in capsys.readouterr().err
