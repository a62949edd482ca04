"""The ledger as a state machine: random transfers, overdraft attempts, reversals and
replays with a used key, with every invariant checked after each step against a model
kept in plain Python."""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from openlance.core.errors import Conflict, IdempotencyConflict, InsufficientFunds
from openlance.ledger.checks import ledger_violations
from openlance.ledger.models import AccountKind, LedgerAccount, Transfer
from openlance.ledger.services import account_for, transfer_post, transfer_reverse

ACCOUNT_COUNT = 4


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.expected: dict[int, int] = {}
        self.posted: list[tuple[str, list[tuple[int, int]]]] = []
        self.reversed: set[str] = set()
        self.counter = 0

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    @initialize()
    def open_accounts(self) -> None:
        self.clearing = account_for(kind=AccountKind.GATEWAY_CLEARING)
        self.accounts = [
            account_for(kind=AccountKind.CONTRACT_ESCROW, reference=f"contract:{n}")
            for n in range(ACCOUNT_COUNT)
        ]
        for account in [self.clearing, *self.accounts]:
            self.expected[account.pk] = 0

    def _key(self) -> str:
        self.counter += 1
        return f"machine:{self.counter}"

    def _apply(self, legs: list[tuple[int, int]]) -> None:
        for account_id, amount in legs:
            self.expected[account_id] += amount

    @rule(target_index=st.integers(0, ACCOUNT_COUNT - 1), cents=st.integers(1, 100_000))
    def deposit(self, target_index: int, cents: int) -> None:
        key = self._key()
        target = self.accounts[target_index]
        transfer_post(
            key=key,
            kind="deposit",
            description="in",
            legs=[(self.clearing, -cents), (target, cents)],
        )
        legs = [(self.clearing.pk, -cents), (target.pk, cents)]
        self._apply(legs)
        self.posted.append((key, legs))

    @rule(
        source_index=st.integers(0, ACCOUNT_COUNT - 1),
        target_index=st.integers(0, ACCOUNT_COUNT - 1),
        cents=st.integers(1, 150_000),
    )
    def move(self, source_index: int, target_index: int, cents: int) -> None:
        if source_index == target_index:
            return
        source, target = self.accounts[source_index], self.accounts[target_index]
        key = self._key()
        legs = [(source.pk, -cents), (target.pk, cents)]
        if self.expected[source.pk] < cents:
            with pytest.raises(InsufficientFunds):
                transfer_post(
                    key=key, kind="move", description="m", legs=[(source, -cents), (target, cents)]
                )
            assert not Transfer.objects.filter(idempotency_key=key).exists()
            return
        transfer_post(
            key=key, kind="move", description="m", legs=[(source, -cents), (target, cents)]
        )
        self._apply(legs)
        self.posted.append((key, legs))

    @precondition(lambda self: bool(self.posted))
    @rule(data=st.data())
    def replay_same_key(self, data: st.DataObject) -> None:
        key, legs = data.draw(st.sampled_from(self.posted))
        accounts = {a.pk: a for a in LedgerAccount.objects.filter(pk__in=[pk for pk, _ in legs])}
        transfer = transfer_post(
            key=key,
            kind="replay",
            description="r",
            legs=[(accounts[pk], amount) for pk, amount in legs],
        )
        assert transfer.idempotency_key == key

    @precondition(lambda self: bool(self.posted))
    @rule(data=st.data(), delta=st.integers(1, 50))
    def reuse_key_with_other_legs(self, data: st.DataObject, delta: int) -> None:
        key, legs = data.draw(st.sampled_from(self.posted))
        accounts = {a.pk: a for a in LedgerAccount.objects.filter(pk__in=[pk for pk, _ in legs])}
        (first, first_amount), (second, second_amount) = legs[0], legs[1]
        with pytest.raises(IdempotencyConflict):
            transfer_post(
                key=key,
                kind="reuse",
                description="r",
                legs=[
                    (accounts[first], first_amount - delta),
                    (accounts[second], second_amount + delta),
                ],
            )

    @precondition(lambda self: bool(self.posted))
    @rule(data=st.data())
    def reverse(self, data: st.DataObject) -> None:
        key, legs = data.draw(st.sampled_from(self.posted))
        original = Transfer.objects.get(idempotency_key=key)
        would_overdraw = any(
            self.expected[pk] - amount < 0 for pk, amount in legs if pk != self.clearing.pk
        )
        if key in self.reversed:
            assert transfer_reverse(transfer=original, reason="again").reverses_id == original.pk
            return
        if would_overdraw:
            with pytest.raises(InsufficientFunds):
                transfer_reverse(transfer=original, reason="undo")
            return
        reversal = transfer_reverse(transfer=original, reason="undo")
        self._apply([(pk, -amount) for pk, amount in legs])
        self.reversed.add(key)
        with pytest.raises(Conflict):
            transfer_reverse(transfer=reversal, reason="undo the undo")

    @invariant()
    def balances_match_the_model(self) -> None:
        if not self.expected:
            return
        actual = dict(LedgerAccount.objects.values_list("pk", "balance_cents"))
        assert actual == self.expected

    @invariant()
    def every_invariant_holds(self) -> None:
        assert ledger_violations() == []


LedgerMachine.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.mark.django_db
def test_ledger_state_machine() -> None:
    LedgerMachine.TestCase().runTest()
