"""Relationships as a state machine: payments for work between a few freelancer/client pairs,
partial refunds, replays of used keys, and the freelancer's money moving on (earnings
becoming available, withdrawals) so that some refunds cannot be covered. After every step
the ledger invariants and the payment invariants hold, and every relationship, payment and
pending earning equals a model kept in plain Python.

It lives in billing rather than next to the ledger's own machine (ledger/tests/
test_stateful.py) because the import-linter layers contract covers test modules too: a
ledger module importing billing would break "layers point down only"."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from openlance.accounts.models import User
from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.billing.checks import payment_violations
from openlance.billing.fees import freelancer_fee
from openlance.billing.models import Payment, PaymentKind, PendingEarning, Relationship
from openlance.billing.payments import payment_for_work, payment_refund
from openlance.billing.payouts import earning_release
from openlance.core.errors import InsufficientFunds
from openlance.core.models import OutboxEvent
from openlance.core.money import Money, round_half_up_div
from openlance.core.policies import FeeTier, SlidingSchedule
from openlance.core.presets import SLIDING_20_10_5
from openlance.ledger.checks import ledger_violations
from openlance.ledger.models import AccountKind, Entry, LedgerAccount, Transfer
from openlance.ledger.services import account_for, platform_account, transfer_post
from openlance.ledger.tests.factories import funded_escrow

# The SPEC's schedule (20% to $500, 10% to $10,000, 5% beyond), and one with the same shape
# whose last boundary is low enough for a short run to cross it, with odd rates so that
# tier slices and refunds round (the SPEC's whole percentages rarely do).
SPEC = SlidingSchedule.model_validate(SLIDING_20_10_5)
COMPRESSED = SlidingSchedule(
    tiers=[
        FeeTier(up_to_cents=50_000, rate_bp=1_999),
        FeeTier(up_to_cents=250_000, rate_bp=1_001),
        FeeTier(up_to_cents=None, rate_bp=499),
    ]
)
# Two freelancers and two clients, three pairs: freelancer 0 works for both clients, so a
# refund to one client can be covered by money the other client paid.
PAIRS = [(0, 0), (0, 1), (1, 0)]
MAX_PAYMENT = 200_000
KINDS = [PaymentKind.MILESTONE_RELEASE, PaymentKind.HOURLY_INVOICE, PaymentKind.BONUS]


@dataclass
class PairModel:
    gross: int = 0
    fee: int = 0
    net: int = 0
    payments: int = 0
    refunded: bool = False


@dataclass
class PaymentModel:
    key: str
    pair: int
    kind: PaymentKind
    escrow: LedgerAccount
    gross: int
    fee: int
    billed_before: int
    refunded: int = 0
    refunded_fee: int = 0
    # What is still held in pending for this payment; None once released or used up.
    held: int | None = None
    refund_keys: list[str] = field(default_factory=list)
    pk: int | None = None

    @property
    def net(self) -> int:
        return self.gross - self.fee


class RelationshipMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        # One savepoint per example: pytest-django wraps the whole test in one transaction,
        # and each hypothesis example must start from an empty marketplace.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.pairs = [PairModel() for _ in PAIRS]
        self.paid: list[PaymentModel] = []
        self.pending: dict[int, int] = {}
        self.available: dict[int, int] = {}
        self.counter = 0

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    @initialize(schedule=st.sampled_from([SPEC, COMPRESSED]))
    def open_marketplace(self, schedule: SlidingSchedule) -> None:
        self.schedule = schedule
        self.freelancers = [freelancer_user(), freelancer_user()]
        self.clients = [client_user(), client_user()]
        for freelancer in self.freelancers:
            self.pending[freelancer.pk] = 0
            self.available[freelancer.pk] = 0

    # --- helpers ---------------------------------------------------------------------

    def _next(self, prefix: str) -> str:
        self.counter += 1
        return f"stateful:{prefix}:{self.counter}"

    def _parties(self, pair: int) -> tuple[User, User]:
        freelancer_index, client_index = PAIRS[pair]
        return self.freelancers[freelancer_index], self.clients[client_index]

    def _pay(self, payment: PaymentModel) -> Payment:
        freelancer, client = self._parties(payment.pair)
        # The callers (milestone release, invoices) run it in their own transaction.
        with transaction.atomic():
            return payment_for_work(
                kind=payment.kind,
                key=payment.key,
                freelancer=freelancer,
                client=client,
                gross=Money(payment.gross),
                source=payment.escrow,
                schedule=self.schedule,
                description="Work",
            )

    def _refund(self, payment: PaymentModel, cents: int, key: str) -> Transfer:
        record = Payment.objects.get(pk=payment.pk)
        with transaction.atomic():
            return payment_refund(payment=record, amount=Money(cents), key=key, reason="Partly")

    def _snapshot(self) -> tuple[object, ...]:
        """Everything a refused refund or a replay must leave exactly as it was."""
        return (
            sorted(LedgerAccount.objects.values_list("pk", "balance_cents")),
            Transfer.objects.count(),
            Entry.objects.count(),
            sorted(Relationship.objects.values_list("pk", "gross_cents", "fee_cents", "net_cents")),
            sorted(Payment.objects.values_list("pk", "refunded_cents", "refunded_fee_cents")),
            sorted(PendingEarning.objects.values_list("pk", "amount_cents", "released_at")),
            OutboxEvent.objects.count(),
        )

    # --- rules -----------------------------------------------------------------------

    @rule(
        pair=st.integers(0, len(PAIRS) - 1),
        cents=st.integers(1, MAX_PAYMENT),
        kind=st.sampled_from(KINDS),
    )
    def pay_for_work(self, pair: int, cents: int, kind: PaymentKind) -> None:
        self._pay_step(pair, cents, kind)

    @rule(
        pair=st.integers(0, len(PAIRS) - 1),
        offset=st.sampled_from([-1, 0, 1]),
        kind=st.sampled_from(KINDS),
    )
    def pay_to_a_tier_boundary(self, pair: int, offset: int, kind: PaymentKind) -> None:
        """Pay up to one cent short of, exactly to, or one cent past the next tier boundary
        (or as far towards it as one payment goes), where the pricing splits."""
        gross = self.pairs[pair].gross
        bounds = [t.up_to_cents for t in self.schedule.tiers if t.up_to_cents is not None]
        target = next((b for b in bounds if b > gross), None)
        if target is None:
            return  # already in the last tier: any payment shows that one
        self._pay_step(pair, min(max(target - gross + offset, 1), MAX_PAYMENT), kind)

    def _pay_step(self, pair: int, cents: int, kind: PaymentKind) -> None:
        model = self.pairs[pair]
        expected = freelancer_fee(
            self.schedule, amount_cents=cents, billed_before_cents=model.gross
        )
        key = self._next("pay")
        payment = PaymentModel(
            key=key,
            pair=pair,
            kind=kind,
            escrow=funded_escrow(cents, n=self.counter),
            gross=cents,
            fee=expected.fee_cents,
            billed_before=model.gross,
            held=expected.net_cents or None,
        )
        record = self._pay(payment)
        payment.pk = record.pk

        assert (record.gross_cents, record.fee_cents, record.billed_before_cents) == (
            cents,
            expected.fee_cents,
            model.gross,
        )
        assert sum(tier["fee_cents"] for tier in record.tiers) == expected.fee_cents
        model.gross += cents
        model.fee += expected.fee_cents
        model.net += expected.net_cents
        model.payments += 1
        self.pending[self._parties(pair)[0].pk] += expected.net_cents
        self.paid.append(payment)

    @precondition(lambda self: bool(self.paid))
    @rule(data=st.data())
    def replay_a_payment(self, data: st.DataObject) -> None:
        payment = data.draw(st.sampled_from(self.paid))
        before = self._snapshot()
        record = self._pay(payment)
        assert record.pk == payment.pk
        assert self._snapshot() == before

    @precondition(lambda self: any(p.refunded < p.gross for p in self.paid))
    @rule(data=st.data())
    def refund_part(self, data: st.DataObject) -> None:
        payment = data.draw(st.sampled_from([p for p in self.paid if p.refunded < p.gross]))
        self._refund_step(payment, data)

    @precondition(
        lambda self: any(p.refunded < p.gross and p.held is None and p.net for p in self.paid)
    )
    @rule(data=st.data())
    def refund_part_of_released_money(self, data: st.DataObject) -> None:
        """A payment whose pending earning is gone: the refund is taken from what the
        freelancer has available, and is refused when that is too little."""
        refundable = [p for p in self.paid if p.refunded < p.gross and p.held is None and p.net]
        self._refund_step(data.draw(st.sampled_from(refundable)), data)

    def _refund_step(self, payment: PaymentModel, data: st.DataObject) -> None:
        cents = data.draw(st.integers(1, payment.gross - payment.refunded), label="cents")
        refunded_after = payment.refunded + cents
        # Cumulative, so that the fee given back over several refunds never drifts.
        fee_back = (
            round_half_up_div(payment.fee * refunded_after, payment.gross) - payment.refunded_fee
        )
        net_back = cents - fee_back
        freelancer = self._parties(payment.pair)[0]
        from_available = min(net_back, self.available[freelancer.pk])
        from_pending = net_back - from_available
        key = self._next("refund")

        if from_pending and (payment.held is None or payment.held < from_pending):
            before = self._snapshot()
            with pytest.raises(InsufficientFunds):
                self._refund(payment, cents, key)
            assert self._snapshot() == before
            return

        transfer = self._refund(payment, cents, key)
        assert transfer.idempotency_key == key
        assert transfer.metadata["fee_back_cents"] == fee_back
        payment.refunded = refunded_after
        payment.refunded_fee += fee_back
        if from_pending:
            assert payment.held is not None
            payment.held = (payment.held - from_pending) or None
        payment.refund_keys.append(key)
        self.available[freelancer.pk] -= from_available
        self.pending[freelancer.pk] -= from_pending
        model = self.pairs[payment.pair]
        model.gross -= cents
        model.fee -= fee_back
        model.net -= net_back
        model.refunded = True

    @precondition(lambda self: any(p.refund_keys for p in self.paid))
    @rule(data=st.data())
    def replay_a_refund(self, data: st.DataObject) -> None:
        payment = data.draw(st.sampled_from([p for p in self.paid if p.refund_keys]))
        key = data.draw(st.sampled_from(payment.refund_keys))
        first = Transfer.objects.get(idempotency_key=key)
        before = self._snapshot()
        assert self._refund(payment, first.metadata["amount_cents"], key).pk == first.pk
        assert self._snapshot() == before

    @precondition(lambda self: any(p.held for p in self.paid))
    @rule(data=st.data())
    def earning_becomes_available(self, data: st.DataObject) -> None:
        payment = data.draw(st.sampled_from([p for p in self.paid if p.held]))
        assert payment.held is not None
        earning = PendingEarning.objects.get(transfer__idempotency_key=payment.key)
        earning_release(earning=earning)
        freelancer = self._parties(payment.pair)[0]
        self.pending[freelancer.pk] -= payment.held
        self.available[freelancer.pk] += payment.held
        payment.held = None

    @precondition(lambda self: any(self.available.values()))
    @rule(data=st.data())
    def withdraw(self, data: st.DataObject) -> None:
        """The freelancer takes money out, so a later refund may find too little left."""
        freelancer = data.draw(
            st.sampled_from([f for f in self.freelancers if self.available[f.pk]])
        )
        balance = self.available[freelancer.pk]
        # Often everything: a refund of released money then has nothing to come from.
        cents = data.draw(st.just(balance) | st.integers(1, balance), label="cents")
        transfer_post(
            key=self._next("withdraw"),
            kind="test.withdrawal",
            description="Out",
            legs=[
                (account_for(kind=AccountKind.FREELANCER_AVAILABLE, owner=freelancer), -cents),
                (platform_account(AccountKind.PAYOUTS_IN_FLIGHT, spread=freelancer.pk), cents),
            ],
            freelancer=freelancer,
        )
        self.available[freelancer.pk] -= cents

    # --- invariants ------------------------------------------------------------------

    @invariant()
    def ledger_is_sound(self) -> None:
        assert ledger_violations() == []

    @invariant()
    def payments_equal_the_ledger(self) -> None:
        assert payment_violations() == []

    @invariant()
    def relationships_equal_the_model(self) -> None:
        if not hasattr(self, "schedule"):
            return
        actual = {
            (row.freelancer_id, row.client_id): (
                row.gross_cents,
                row.fee_cents,
                row.net_cents,
                row.payments,
            )
            for row in Relationship.objects.all()
        }
        expected = {}
        for index, model in enumerate(self.pairs):
            if model.payments:
                freelancer, client = self._parties(index)
                expected[(freelancer.pk, client.pk)] = (
                    model.gross,
                    model.fee,
                    model.net,
                    model.payments,
                )
        assert actual == expected

    @invariant()
    def payments_and_earnings_equal_the_model(self) -> None:
        if not hasattr(self, "schedule"):
            return
        actual = {
            row["transfer__idempotency_key"]: row
            for row in Payment.objects.values(
                "transfer__idempotency_key",
                "gross_cents",
                "fee_cents",
                "net_cents",
                "billed_before_cents",
                "refunded_cents",
                "refunded_fee_cents",
            )
        }
        assert set(actual) == {p.key for p in self.paid}
        for p in self.paid:
            assert actual[p.key] == {
                "transfer__idempotency_key": p.key,
                "gross_cents": p.gross,
                "fee_cents": p.fee,
                "net_cents": p.net,
                "billed_before_cents": p.billed_before,
                "refunded_cents": p.refunded,
                "refunded_fee_cents": p.refunded_fee,
            }
        held = dict(
            PendingEarning.objects.filter(released_at__isnull=True).values_list(
                "transfer__idempotency_key", "amount_cents"
            )
        )
        assert held == {p.key: p.held for p in self.paid if p.held}
        for freelancer in self.freelancers:
            balances = dict(
                LedgerAccount.objects.filter(owner=freelancer).values_list("kind", "balance_cents")
            )
            assert balances.get(AccountKind.FREELANCER_PENDING, 0) == self.pending[freelancer.pk]
            assert (
                balances.get(AccountKind.FREELANCER_AVAILABLE, 0) == self.available[freelancer.pk]
            )

    @invariant()
    def fees_of_a_split_add_up_to_the_fee_of_the_whole(self) -> None:
        """SPEC §8.2: without refunds, however a pair's billings were split into payments,
        their fees add up to the fee of one payment of the whole from zero."""
        if not hasattr(self, "schedule"):
            return
        for model in self.pairs:
            if model.refunded:
                continue
            whole = freelancer_fee(self.schedule, amount_cents=model.gross, billed_before_cents=0)
            assert model.fee == whole.fee_cents


RelationshipMachine.TestCase.settings = settings(
    max_examples=20,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.mark.django_db
def test_relationship_state_machine() -> None:
    RelationshipMachine.TestCase().runTest()
