import pytest
from django.core.management import CommandError, call_command

from openlance.ledger.checks import ledger_violations
from openlance.ledger.models import Entry, LedgerAccount
from openlance.ledger.tests.factories import funded_escrow

pytestmark = pytest.mark.django_db


def test_command_passes_on_a_sound_ledger(capsys):
    funded_escrow(5_000)
    call_command("ledger_check")
    assert "Ledger sound" in capsys.readouterr().out


def test_command_fails_when_a_cached_balance_drifts(capsys):
    account = funded_escrow(5_000)
    LedgerAccount.objects.filter(pk=account.pk).update(balance_cents=4_000)
    with pytest.raises(CommandError):
        call_command("ledger_check")
    errors = capsys.readouterr().err
    assert "entries sum 5000" in errors
    assert "balances sum to" in errors


def test_unbalanced_entry_is_caught():
    account = funded_escrow(5_000)
    Entry.objects.filter(account=account).update(amount_cents=4_999, balance_after_cents=4_999)
    problems = ledger_violations()
    assert any("entries sum to 1" in line or "entries sum to -1" in line for line in problems)
