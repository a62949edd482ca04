from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from openlance.accounts.tests.factories import freelancer_user
from openlance.billing.models import PayoutStatus
from openlance.billing.payouts import withdrawal_create
from openlance.billing.tests.payout_helpers import (
    available,
    balance,
    pending_earning,
    usable_method,
)
from openlance.core import clock
from openlance.core.money import Money
from openlance.ledger.models import AccountKind

pytestmark = pytest.mark.usefixtures("assert_ledger_sound")


def _run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_run_due_by_hand_as_of_a_time():
    user = freelancer_user()
    pending_earning(user, 10_000)
    later = (clock.now() + timedelta(days=6)).isoformat()
    assert _run("payouts_run_due", "--now", later).startswith("1 earning(s) available")
    assert _run("payouts_run_due", "--now", later).startswith("0 earning(s) available")
    assert balance(user, AccountKind.FREELANCER_AVAILABLE) == 10_000


@pytest.mark.parametrize("bad", ["tomorrow", "2026-06-24T14:00:00"])
def test_run_due_refuses_a_bad_time(bad):
    with pytest.raises(CommandError):
        _run("payouts_run_due", "--now", bad)


def test_sandbox_finish_returns_a_payout():
    user = freelancer_user()
    usable_method(user)
    available(user, 50_000)
    payout = withdrawal_create(user=user, amount=Money(20_000), key="cmd")
    assert "returned" in _run("payout_sandbox_finish", str(payout.pk), "--returned")
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.RETURNED
    assert balance(user, AccountKind.FREELANCER_AVAILABLE) == 50_000
    with pytest.raises(CommandError):
        _run("payout_sandbox_finish", str(payout.pk))
    with pytest.raises(CommandError):
        _run("payout_sandbox_finish", "999999")
