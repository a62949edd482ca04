import pytest

from openlance.core.errors import Conflict, IdempotencyConflict, InsufficientFunds, InvalidInput
from openlance.core.models import OutboxEvent
from openlance.ledger.models import AccountKind, Entry, LedgerAccount, Transfer
from openlance.ledger.services import account_for, transfer_post, transfer_reverse
from openlance.ledger.tests.factories import clearing, escrow, funded_escrow

pytestmark = pytest.mark.usefixtures("assert_ledger_sound")


def _revenue():
    return account_for(kind=AccountKind.PLATFORM_FEE_REVENUE)


def _move(source, target, cents, key="k1"):
    return transfer_post(
        key=key, kind="test.move", description="move", legs=[(source, -cents), (target, cents)]
    )


def test_account_for_is_one_account_per_code():
    first = escrow(7)
    assert escrow(7).pk == first.pk
    assert first.code == "contract_escrow:contract:7:USD"
    assert not first.may_go_negative
    assert clearing().may_go_negative


def test_transfer_moves_balances_and_records_entries():
    source = funded_escrow(10_000)
    transfer = _move(source, _revenue(), 2_500)
    source.refresh_from_db()
    assert source.balance_cents == 7_500
    assert _revenue().balance_cents == 2_500
    assert sorted(transfer.entries.values_list("amount_cents", flat=True)) == [-2_500, 2_500]
    # Nothing consumes a bare transfer: the services that post one emit their own events.
    assert not OutboxEvent.objects.exists()


def test_same_key_same_legs_replays_without_moving_money_twice():
    source = funded_escrow(10_000)
    first = _move(source, _revenue(), 2_500)
    second = _move(source, _revenue(), 2_500)
    assert first.pk == second.pk
    source.refresh_from_db()
    assert source.balance_cents == 7_500
    assert Transfer.objects.filter(kind="test.move").count() == 1


def test_same_key_other_legs_is_a_conflict_and_changes_nothing():
    source = funded_escrow(10_000)
    _move(source, _revenue(), 2_500)
    with pytest.raises(IdempotencyConflict):
        _move(source, _revenue(), 2_000)
    source.refresh_from_db()
    assert source.balance_cents == 7_500


def test_overdraft_is_refused_and_writes_nothing():
    source = funded_escrow(1_000)
    transfers, entries = Transfer.objects.count(), Entry.objects.count()
    with pytest.raises(InsufficientFunds):
        _move(source, _revenue(), 1_001)
    source.refresh_from_db()
    assert source.balance_cents == 1_000
    assert (Transfer.objects.count(), Entry.objects.count()) == (transfers, entries)


def test_database_refuses_an_overdraft_even_past_the_service():
    from django.db import IntegrityError, transaction

    account = escrow(3)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerAccount.objects.filter(pk=account.pk).update(balance_cents=-1)


@pytest.mark.parametrize(
    ("legs_fn", "message"),
    [
        (lambda a, b: [(a, -100)], "at least two"),
        (lambda a, b: [(a, -100), (b, 99)], "sum to zero"),
        (lambda a, b: [(a, 0), (b, 0)], "cannot be zero"),
        (lambda a, b: [(a, -100), (a, 100)], "each account once"),
        (lambda a, b: [(a, -1.5), (b, 1.5)], "whole cents"),
    ],
)
def test_malformed_legs_are_refused(legs_fn, message):
    with pytest.raises(InvalidInput, match=message):
        transfer_post(key="bad", kind="x", description="x", legs=legs_fn(clearing(), escrow()))
    assert not Transfer.objects.filter(idempotency_key="bad").exists()


def test_currencies_do_not_mix_in_one_transfer():
    euro = account_for(kind=AccountKind.GATEWAY_CLEARING, currency="EUR")
    with pytest.raises(InvalidInput, match="one currency"):
        transfer_post(key="fx", kind="x", description="x", legs=[(euro, -100), (escrow(), 100)])


def test_reversal_mirrors_once():
    source = funded_escrow(10_000)
    original = _move(source, _revenue(), 2_500)
    reversal = transfer_reverse(transfer=original, reason="mistake")
    assert transfer_reverse(transfer=original, reason="again").pk == reversal.pk
    source.refresh_from_db()
    assert source.balance_cents == 10_000
    assert _revenue().balance_cents == 0
    assert reversal.reverses_id == original.pk
    with pytest.raises(Conflict):
        transfer_reverse(transfer=reversal, reason="undo the undo")


def test_reversal_cannot_overdraw():
    source = funded_escrow(10_000)
    original = _move(source, _revenue(), 2_500)
    _move(_revenue(), escrow(2), 2_500, key="spent")
    with pytest.raises(InsufficientFunds):
        transfer_reverse(transfer=original, reason="too late")
    assert not Transfer.objects.filter(reverses=original).exists()
