"""The migrations that turned payments into rows (ledger 0002 and 0003, billing 0005 and 0006,
contracts 0004 and 0005), run forward over payments that already exist. Two round trips:

- back before all of them and forward again, over every case at once, each for its own
  pair: payments as the code before them booked them (the parties, the fee and the
  milestone only in the transfer's metadata, a reversal naming only the transfer it
  reverses), built with the historical models, with and without a reversal, and one whose
  metadata lost its amounts; payments made by today's code and partly refunded; and one of
  those reversed after going back, by the code of then;
- billing and contracts back and forward again (the ledger keeps its party columns) over
  payments made through today's contracts services, which must rebuild the same
  relationships, payments and milestone links.

It lives in contracts, the highest of the three apps, because it reads all three: the
import-linter layers contract covers test modules, and billing may not import contracts.

Each migrates the test database itself, so it runs with `transaction=True` (migrations
cannot run inside the test's transaction) and always migrates back to the latest state,
even when it fails half-way; `serialized_rollback` puts back the rows data migrations seed
(skills, fee policies), which the flush after a transactional test deletes. The targets are
named migrations before the change, and forward is every app's latest, so later migrations
change nothing here."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor

from openlance.accounts.models import User
from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.billing.checks import payment_violations
from openlance.billing.fees import freelancer_fee
from openlance.billing.models import Payment, PaymentKind, Relationship
from openlance.billing.payments import payment_for_work, payment_refund
from openlance.billing.services import funds_deposit
from openlance.billing.tests.factories import paid_for_work
from openlance.contracts.milestones.funding import milestone_fund
from openlance.contracts.milestones.release import (
    Remainder,
    milestone_approve,
    milestone_auto_approve_run_due,
)
from openlance.contracts.milestones.submissions import milestone_submit
from openlance.contracts.models import Contract, Milestone, MilestoneRelease
from openlance.contracts.tests.factories import contract_fixed
from openlance.core import clock
from openlance.core.money import Money, round_half_up_div
from openlance.core.policies import SlidingSchedule
from openlance.core.presets import SLIDING_20_10_5
from openlance.ledger.checks import ledger_violations
from openlance.ledger.models import Transfer
from openlance.ledger.tests.factories import funded_escrow

# The last migration of each app before payments became rows.
BEFORE_RELATIONSHIPS = [
    ("billing", "0004_charge_claim"),
    ("contracts", "0003_milestone_card_declines"),
    ("ledger", "0001_initial"),
]
# Billing and contracts only: the ledger keeps its party columns, which transfers booked by
# today's code need, since their metadata no longer names the parties.
BEFORE_BILLING_ROWS = BEFORE_RELATIONSHIPS[:2]
SPEC = SlidingSchedule.model_validate(SLIDING_20_10_5)
MARKETPLACE_FEE_BP = 500
INITIATION_FEE_CENTS = 495
# Where going back writes a refund's payment, by its transfer (billing 0006).
PAYMENT_TRANSFER = "payment_transfer_id"


def _migrate(targets: list[tuple[str, str]]) -> Any:
    """Migrate the database to `targets` and return the historical apps of that state."""
    return MigrationExecutor(connection).migrate(targets).apps


def _migrate_to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


class OldBooks:
    """Books money the way the code before the migrations did, through the historical models:
    balances and running balances kept by hand, as the old `transfer_post` did, and every
    payment's parties, fee and milestone in its metadata only."""

    def __init__(self, apps: Any) -> None:
        self.LedgerAccount = apps.get_model("ledger", "LedgerAccount")
        self.Transfer = apps.get_model("ledger", "Transfer")
        self.Entry = apps.get_model("ledger", "Entry")
        self.Milestone = apps.get_model("contracts", "Milestone")
        self.PendingEarning = apps.get_model("billing", "PendingEarning")
        # Strictly increasing times, so "first funding" and payment order are unambiguous.
        self.now = clock.now() - timedelta(days=30)
        # What the old `lifetime_billings` read: unreversed payments per pair.
        self.billed: dict[tuple[int, int], int] = defaultdict(int)

    def _tick(self) -> Any:
        self.now += timedelta(minutes=1)
        return self.now

    def account(self, kind: str, owner_id: int | None = None, reference: str = "") -> Any:
        # The old `account_code`: kind, owner, reference, currency.
        parts = [kind]
        if owner_id:
            parts.append(f"user:{owner_id}")
        if reference:
            parts.append(reference)
        code = ":".join([*parts, "USD"])
        account, _ = self.LedgerAccount.objects.get_or_create(
            code=code,
            defaults={
                "kind": kind,
                "owner_id": owner_id,
                "reference": reference,
                "may_go_negative": kind == "gateway_clearing",
                "created_at": self._tick(),
            },
        )
        return account

    def post(
        self,
        key: str,
        kind: str,
        legs: list[tuple[Any, int]],
        metadata: dict[str, Any],
        reverses: Any = None,
    ) -> Any:
        assert sum(amount for _, amount in legs) == 0
        transfer = self.Transfer.objects.create(
            idempotency_key=key,
            kind=kind,
            description=kind,
            reverses=reverses,
            metadata=metadata,
            created_at=self._tick(),
        )
        for account, amount in sorted(legs, key=lambda leg: leg[0].pk):
            account.refresh_from_db()
            account.balance_cents += amount
            assert account.may_go_negative or account.balance_cents >= 0
            account.save(update_fields=["balance_cents"])
            self.Entry.objects.create(
                transfer=transfer,
                account=account,
                amount_cents=amount,
                balance_after_cents=account.balance_cents,
            )
        return transfer

    def deposit(self, client_id: int, cents: int) -> None:
        self.post(
            f"deposit:{client_id}",
            "deposit",
            [
                (self.account("gateway_clearing"), -cents),
                (self.account("client_funding", client_id), cents),
            ],
            {"charge": f"ch_{client_id}", "gateway": "sandbox"},
        )

    def fund(self, contract: Contract, milestone_id: int, *, first: bool) -> Any:
        milestone = self.Milestone.objects.get(pk=milestone_id)
        amount = milestone.amount_cents
        marketplace = round_half_up_div(amount * MARKETPLACE_FEE_BP, 10_000)
        initiation = INITIATION_FEE_CENTS if first else 0
        transfer = self.post(
            f"milestone:{milestone.pk}:fund",
            "milestone_fund",
            [
                (
                    self.account("client_funding", contract.client_id),
                    -(amount + marketplace + initiation),
                ),
                (self.account("contract_escrow", reference=f"contract:{contract.pk}"), amount),
                (self.account("platform_fee_revenue"), marketplace + initiation),
            ],
            {
                "contract_id": contract.pk,
                "milestone_id": milestone.pk,
                "client_id": contract.client_id,
                "freelancer_id": contract.freelancer_id,
                "amount_cents": amount,
                "marketplace_fee_cents": marketplace,
                "initiation_fee_cents": initiation,
            },
        )
        milestone.state = "funded"
        milestone.funded_cents = amount
        milestone.funded_at = transfer.created_at
        milestone.save()
        return transfer

    def release(self, contract: Contract, milestone_id: int, *, automatic: bool = False) -> Any:
        milestone = self.Milestone.objects.get(pk=milestone_id)
        amount = milestone.funded_cents
        pair = (contract.freelancer_id, contract.client_id)
        billed_before = self.billed[pair]
        fee = freelancer_fee(SPEC, amount_cents=amount, billed_before_cents=billed_before)
        pending = self.account("freelancer_pending", contract.freelancer_id)
        transfer = self.post(
            f"milestone:{milestone.pk}:release:1",
            "milestone_release",
            [
                (self.account("contract_escrow", reference=f"contract:{contract.pk}"), -amount),
                (pending, fee.net_cents),
                (self.account("platform_fee_revenue"), fee.fee_cents),
            ],
            {
                "freelancer_id": contract.freelancer_id,
                "client_id": contract.client_id,
                "gross_cents": amount,
                "fee_cents": fee.fee_cents,
                "net_cents": fee.net_cents,
                "contract_id": contract.pk,
                "milestone_id": milestone.pk,
                "billed_before_cents": billed_before,
                "automatic": automatic,
                "tiers": [
                    {
                        "lower_cents": tier.lower_cents,
                        "upper_cents": tier.upper_cents,
                        "rate_bp": tier.rate_bp,
                        "amount_cents": tier.amount_cents,
                        "fee_cents": tier.fee_cents,
                    }
                    for tier in fee.tiers
                ],
            },
        )
        self.PendingEarning.objects.create(
            freelancer_id=contract.freelancer_id,
            kind="milestone",
            amount_cents=fee.net_cents,
            transfer=transfer,
            available_at=transfer.created_at + timedelta(days=5),
            created_at=transfer.created_at,
        )
        milestone.state = "approved"
        milestone.released_cents = amount
        milestone.approved_at = transfer.created_at
        milestone.save()
        self.billed[pair] = billed_before + amount
        return transfer

    def reverse(self, transfer: Any) -> Any:
        """The old `transfer_reverse`: the mirror image, naming only what it reverses."""
        legs = [(entry.account, -entry.amount_cents) for entry in transfer.entries.all()]
        self.PendingEarning.objects.filter(transfer=transfer).delete()
        metadata = transfer.metadata
        pair = (metadata["freelancer_id"], metadata["client_id"])
        self.billed[pair] -= metadata["gross_cents"]
        return self.post(
            f"reversal:{transfer.idempotency_key}",
            f"{transfer.kind}.reversal",
            legs,
            {"reason": "Refunded to the client", "reverses": transfer.pk},
            reverses=transfer,
        )


@pytest.fixture
def migrated_back_and_forth() -> Iterator[None]:
    """Whatever the test does to the migrations, the database ends at the latest state."""
    try:
        yield
    finally:
        _migrate_to_latest()


def _billing_rows(freelancers: Iterable[User]) -> dict[str, Any]:
    """The relationships, payments and milestone links of `freelancers`, and their
    contracts, by what identifies them rather than by primary key (the rebuilt rows are new
    rows). Times are left out: the services stamp a payment a moment after its transfer, the
    migration with the transfer's time."""
    ids = [freelancer.pk for freelancer in freelancers]
    return {
        "relationships": {
            (r.freelancer_id, r.client_id): (r.gross_cents, r.fee_cents, r.net_cents, r.payments)
            for r in Relationship.objects.filter(freelancer_id__in=ids)
        },
        "payments": {
            p.transfer_id: (
                p.relationship.freelancer_id,
                p.relationship.client_id,
                p.kind,
                p.gross_cents,
                p.fee_cents,
                p.net_cents,
                p.billed_before_cents,
                p.tiers,
                p.refunded_cents,
                p.refunded_fee_cents,
            )
            for p in Payment.objects.select_related("relationship").filter(
                relationship__freelancer_id__in=ids
            )
        },
        "links": {
            link.payment.transfer_id: (link.milestone_id, link.contract_id, link.automatic)
            for link in MilestoneRelease.objects.select_related("payment").filter(
                contract__freelancer_id__in=ids
            )
        },
        "contracts": set(
            Contract.objects.filter(freelancer_id__in=ids).values_list(
                "pk", "first_funding_id", "initiation_fee_cents"
            )
        ),
    }


# --- back before all of them: old books, today's payments, and both on one payment --------


@dataclass
class OldCase:
    """Contracts for one case of old books, made with today's services before going back
    (they hold no money yet, and the migrations leave those rows alone); the money is
    booked the old way, and its transfers kept here."""

    with_reversal: bool
    a: Contract
    b: Contract
    c: Contract
    d: Contract
    unfunded: Contract
    milestones: dict[int, list[int]]
    transfers: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def make(cls, *, with_reversal: bool) -> OldCase:
        a = contract_fixed([30_000, 40_000, 25_000])
        b = contract_fixed([60_000], client=a.client, freelancer=a.freelancer)
        c = contract_fixed([20_000], freelancer=a.freelancer)
        d = contract_fixed([15_000], client=a.client)
        unfunded = contract_fixed([10_000], client=a.client, freelancer=a.freelancer)
        return cls(
            with_reversal=with_reversal,
            a=a,
            b=b,
            c=c,
            d=d,
            unfunded=unfunded,
            milestones={
                contract.pk: list(
                    contract.milestones.order_by("position").values_list("pk", flat=True)
                )
                for contract in (a, b, c, d)
            },
        )

    @property
    def freelancer1(self) -> User:
        return self.a.freelancer

    @property
    def client1(self) -> User:
        return self.a.client

    @property
    def client2(self) -> User:
        return self.c.client

    @property
    def freelancer2(self) -> User:
        return self.d.freelancer

    def book(self, books: OldBooks) -> None:
        a, b, c, d, ms, t = self.a, self.b, self.c, self.d, self.milestones, self.transfers
        for client in (self.client1, self.client2):
            books.deposit(client.pk, 500_000)
        t["fund_a"] = books.fund(a, ms[a.pk][0], first=True)
        t["a1"] = books.release(a, ms[a.pk][0])
        books.fund(a, ms[a.pk][1], first=False)
        t["a2"] = books.release(a, ms[a.pk][1], automatic=True)
        books.fund(a, ms[a.pk][2], first=False)  # funded, not released
        if self.with_reversal:
            t["reversal"] = books.reverse(t["a2"])
        t["fund_b"] = books.fund(b, ms[b.pk][0], first=True)
        t["b1"] = books.release(b, ms[b.pk][0])
        t["fund_c"] = books.fund(c, ms[c.pk][0], first=True)
        t["c1"] = books.release(c, ms[c.pk][0])
        t["fund_d"] = books.fund(d, ms[d.pk][0], first=True)
        t["d1"] = books.release(d, ms[d.pk][0])

    @property
    def billed(self) -> int:
        """What freelancer 1 billed client 1: $300 + $400 + $600, less a reversed $400."""
        return 90_000 if self.with_reversal else 130_000

    def check(self) -> None:
        t, ms = self.transfers, self.milestones
        a, b, c, d, unfunded = self.a, self.b, self.c, self.d, self.unfunded
        f1, c1, c2, f2 = self.freelancer1, self.client1, self.client2, self.freelancer2
        payments_made = [t[name] for name in ("a1", "a2", "b1", "c1", "d1")]

        # The parties, from the metadata; a reversal is about the parties of what it reverses.
        for name in ("fund_a", "a1", "a2", "fund_b", "b1", "fund_c", "c1", "fund_d", "d1"):
            old = t[name]
            transfer = Transfer.objects.get(pk=old.pk)
            assert (transfer.freelancer_id, transfer.client_id) == (
                old.metadata["freelancer_id"],
                old.metadata["client_id"],
            )
        if self.with_reversal:
            transfer = Transfer.objects.get(pk=t["reversal"].pk)
            assert (transfer.freelancer_id, transfer.client_id) == (f1.pk, c1.pk)

        # One relationship per pair; a reversed payment is not billed.
        # $300 + $400 + $600 is $500 at 20% and $800 at 10%; without the $400, $500 at 20% and
        # $400 at 10%. The reversed payment still counts as a payment (a refunded one).
        a2_gross = 0 if self.with_reversal else 40_000
        fee = 14_000 if self.with_reversal else 18_000
        expected = {
            (f1.pk, c1.pk): (self.billed, fee, 3),
            (f1.pk, c2.pk): (20_000, 4_000, 1),
            (f2.pk, c1.pk): (15_000, 3_000, 1),
        }
        relationships = {
            (r.freelancer_id, r.client_id): r
            for r in Relationship.objects.filter(freelancer__in=(f1, f2))
        }
        assert {
            pair: (r.gross_cents, r.fee_cents, r.payments) for pair, r in relationships.items()
        } == expected
        for r in relationships.values():
            assert r.net_cents == r.gross_cents - r.fee_cents
        assert relationships[(f1.pk, c1.pk)].first_paid_at == t["a1"].created_at
        assert relationships[(f1.pk, c1.pk)].last_paid_at == t["b1"].created_at

        # A payment row per old payment, priced as its metadata says.
        payments = {
            p.transfer_id: p
            for p in Payment.objects.select_related("relationship").filter(
                relationship__freelancer__in=(f1, f2)
            )
        }
        assert set(payments) == {old.pk for old in payments_made}
        for old in payments_made:
            payment = payments[old.pk]
            meta = old.metadata
            reversed_ = self.with_reversal and old.pk == t["a2"].pk
            assert (payment.relationship.freelancer_id, payment.relationship.client_id) == (
                meta["freelancer_id"],
                meta["client_id"],
            )
            assert payment.kind == PaymentKind.MILESTONE_RELEASE
            assert (
                payment.gross_cents,
                payment.fee_cents,
                payment.net_cents,
                payment.billed_before_cents,
                payment.tiers,
            ) == (
                meta["gross_cents"],
                meta["fee_cents"],
                meta["net_cents"],
                meta["billed_before_cents"],
                meta["tiers"],
            )
            assert (payment.refunded_cents, payment.refunded_fee_cents) == (
                (meta["gross_cents"], meta["fee_cents"]) if reversed_ else (0, 0)
            )
        # The old fee base skipped the reversed payment; so does the new one.
        assert payments[t["b1"].pk].billed_before_cents == 30_000 + a2_gross

        # Each milestone payment is linked to its milestone and contract.
        links = {
            link.payment.transfer_id: (link.milestone_id, link.contract_id, link.automatic)
            for link in MilestoneRelease.objects.select_related("payment").filter(
                payment__transfer_id__in=[old.pk for old in payments_made]
            )
        }
        assert links == {
            t["a1"].pk: (ms[a.pk][0], a.pk, False),
            t["a2"].pk: (ms[a.pk][1], a.pk, True),
            t["b1"].pk: (ms[b.pk][0], b.pk, False),
            t["c1"].pk: (ms[c.pk][0], c.pk, False),
            t["d1"].pk: (ms[d.pk][0], d.pk, False),
        }

        # Each funded contract knows its first funding and the initiation fee it carried.
        mine = Contract.objects.filter(pk__in=(a.pk, b.pk, c.pk, d.pk, unfunded.pk))
        assert dict(mine.values_list("pk", "first_funding_id")) == {
            a.pk: t["fund_a"].pk,
            b.pk: t["fund_b"].pk,
            c.pk: t["fund_c"].pk,
            d.pk: t["fund_d"].pk,
            unfunded.pk: None,
        }
        assert dict(mine.values_list("pk", "initiation_fee_cents")) == {
            a.pk: 495,
            b.pk: 495,
            c.pk: 495,
            d.pk: 495,
            unfunded.pk: 0,
        }

    def carry_on(self, n: int) -> None:
        """Today's code carries on from the migrated rows: the next payment prices from the
        pair's billings, and part of a migrated payment can be refunded."""
        with transaction.atomic():
            nxt = payment_for_work(
                kind=PaymentKind.BONUS,
                key=f"after-migration:bonus:{n}",
                freelancer=self.freelancer1,
                client=self.client1,
                gross=Money(10_000),
                source=funded_escrow(10_000, n=n),
                schedule=SPEC,
                description="A bonus after the upgrade",
            )
            payment_refund(
                payment=Payment.objects.get(transfer_id=self.transfers["c1"].pk),
                amount=Money(5_000),
                key=f"after-migration:refund:{n}",
                reason="Partly undone",
            )
        assert nxt.billed_before_cents == self.billed
        assert nxt.fee_cents == 1_000  # past the first $500: 10%
        refunded = Relationship.objects.get(freelancer=self.freelancer1, client=self.client2)
        assert (refunded.gross_cents, refunded.fee_cents) == (15_000, 3_000)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("migrated_back_and_forth")
def test_payments_booked_before_the_migrations_come_forward_as_relationships_and_payments() -> None:
    # Paid by today's code, whose transfers name the parties in columns only, and partly
    # refunded, which names the payment by its row's id (gone while the rows are).
    today_freelancer, today_client = freelancer_user(), client_user()
    today = paid_for_work(today_freelancer, today_client, 30_000, schedule=SPEC, n=9_001)
    paid_for_work(
        today_freelancer, today_client, 30_000, kind=PaymentKind.BONUS, schedule=SPEC, n=9_002
    )
    with transaction.atomic():
        today_refund = payment_refund(
            payment=today, amount=Money(10_000), key="today:refund", reason="Partly undone"
        )
    today_before = _billing_rows([today_freelancer])

    # Paid and partly refunded by today's code, then, gone back, reversed whole by the code
    # of then (its `transfer_reverse` knew nothing of refunds): $300 paid, $400 given back.
    # The bonus keeps money in the freelancer's pending account for the reversal to take.
    both_freelancer, both_client = freelancer_user(), client_user()
    both = paid_for_work(both_freelancer, both_client, 30_000, schedule=SPEC, n=9_003)
    paid_for_work(
        both_freelancer, both_client, 30_000, kind=PaymentKind.BONUS, schedule=SPEC, n=9_004
    )
    with transaction.atomic():
        both_refund = payment_refund(
            payment=both, amount=Money(10_000), key="both:refund", reason="Partly undone"
        )
    assert (both.fee_cents, both_refund.metadata["fee_back_cents"]) == (6_000, 2_000)

    plain, reversed_ = OldCase.make(with_reversal=False), OldCase.make(with_reversal=True)
    lost = contract_fixed([30_000])
    lost_milestone = lost.milestones.get().pk

    books = OldBooks(_migrate(BEFORE_RELATIONSHIPS))
    plain.book(books)
    reversed_.book(books)
    # Metadata only describes: an old payment whose metadata lost its amounts is still what
    # its legs moved.
    books.deposit(lost.client_id, 100_000)
    books.fund(lost, lost_milestone, first=True)
    lost_release = books.release(lost, lost_milestone)
    amounts = ("gross_cents", "fee_cents", "net_cents")
    books.Transfer.objects.filter(pk=lost_release.pk).update(
        metadata={k: v for k, v in lost_release.metadata.items() if k not in amounts}
    )
    both_reversal = books.reverse(books.Transfer.objects.get(pk=both.transfer_id))
    assert PAYMENT_TRANSFER in books.Transfer.objects.get(pk=both_refund.pk).metadata

    _migrate_to_latest()

    plain.check()
    reversed_.check()

    # The $300 its legs moved, $60 of fee (20%) and $240 to the freelancer.
    payment = Payment.objects.select_related("relationship").get(transfer_id=lost_release.pk)
    assert (payment.gross_cents, payment.fee_cents, payment.net_cents) == (30_000, 6_000, 24_000)
    r = payment.relationship
    assert (r.gross_cents, r.fee_cents, r.net_cents, r.payments) == (30_000, 6_000, 24_000, 1)

    # Today's payments come back as they were; the refund names the rebuilt payment, and its
    # metadata keeps the parties the way back wrote into it, as old transfers' did.
    assert _billing_rows([today_freelancer]) == today_before
    rebuilt = Payment.objects.get(transfer_id=today.transfer_id)
    assert Transfer.objects.get(pk=today_refund.pk).metadata == {
        **today_refund.metadata,
        "payment_id": rebuilt.pk,
        "client_id": today_client.pk,
        "freelancer_id": today_freelancer.pk,
    }

    # Refunded, then reversed: the record is refunded in full (never beyond itself), the
    # refund names it like any other, and the relationship takes off all the ledger gave
    # back: $300 + $300 paid (fees $60 + $50), less $300 reversed and $100 refunded (fees
    # $60 and $20).
    assert Transfer.objects.get(pk=both_reversal.pk).client_id == both_client.pk
    rebuilt_both = Payment.objects.select_related("relationship").get(transfer_id=both.transfer_id)
    assert (rebuilt_both.refunded_cents, rebuilt_both.refunded_fee_cents) == (30_000, 6_000)
    refund_metadata = Transfer.objects.get(pk=both_refund.pk).metadata
    assert refund_metadata["payment_id"] == rebuilt_both.pk
    assert PAYMENT_TRANSFER not in refund_metadata
    r = rebuilt_both.relationship
    assert (r.gross_cents, r.fee_cents, r.net_cents, r.payments) == (20_000, 3_000, 17_000, 2)

    assert ledger_violations() == []
    assert payment_violations() == []

    plain.carry_on(9_101)
    reversed_.carry_on(9_102)
    # Repeating today's refund is a replay, not a conflict.
    with transaction.atomic():
        replay = payment_refund(
            payment=rebuilt, amount=Money(10_000), key="today:refund", reason="Partly undone"
        )
    assert replay.pk == today_refund.pk
    assert ledger_violations() == []
    assert payment_violations() == []


# --- billing and contracts only: payments made through the contracts ---------------------


def _approved(contract: Contract, milestone: Milestone, **approval: Any) -> None:
    milestone_fund(client=contract.client, milestone=milestone, payment_method="balance")
    milestone_submit(
        freelancer=contract.freelancer,
        milestone=Milestone.objects.get(pk=milestone.pk),
        message="x",
    )
    if approval.get("automatic"):
        milestone_auto_approve_run_due(now=clock.now() + timedelta(days=15))
    else:
        milestone_approve(
            client=contract.client, milestone=Milestone.objects.get(pk=milestone.pk), **approval
        )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("migrated_back_and_forth")
def test_payments_made_through_contracts_are_rebuilt_from_the_ledger() -> None:
    # What the demo books: milestones funded from the balance and approved in full, in part
    # (the rest refunded) and by themselves; one funded by card for another client; a bonus;
    # part of a payment refunded.
    contract = contract_fixed([30_000, 40_000, 25_000])
    freelancer, client = contract.freelancer, contract.client
    funds_deposit(
        user=client, amount=Money(500_000), payment_method="pm_card_visa", key="migration:top"
    )
    first, second, third = contract.milestones.order_by("position")
    _approved(contract, first)
    _approved(contract, second, amount=Money(30_000), remainder=Remainder.REFUND)
    _approved(contract, third, automatic=True)
    other = contract_fixed([20_000], freelancer=freelancer)
    milestone = other.milestones.get()
    milestone_fund(client=other.client, milestone=milestone, payment_method="pm_card_visa")
    milestone_submit(
        freelancer=freelancer, milestone=Milestone.objects.get(pk=milestone.pk), message="x"
    )
    milestone_approve(client=other.client, milestone=Milestone.objects.get(pk=milestone.pk))
    paid_for_work(freelancer, client, 5_000, kind=PaymentKind.BONUS, schedule=SPEC, n=9_201)
    paid = Payment.objects.get(milestone_release__milestone=first)
    with transaction.atomic():
        refund = payment_refund(
            payment=paid, amount=Money(10_000), key="contracts:refund", reason="Partly undone"
        )
    before = _billing_rows([freelancer])
    # Something to rebuild: two relationships, five payments (one a bonus, one partly
    # refunded), four milestone links (one automatic), two first fundings.
    assert len(before["relationships"]) == 2
    assert len(before["payments"]) == 5
    assert sorted(link[2] for link in before["links"].values()) == [False, False, False, True]
    assert all(first_funding for _, first_funding, _ in before["contracts"])
    assert any(row[8] == 10_000 for row in before["payments"].values())
    assert Milestone.objects.filter(released_cents__gt=0).count() == 4

    _migrate(BEFORE_BILLING_ROWS)
    # Really gone, so what comes back was rebuilt from the ledger.
    assert "billing_relationship" not in connection.introspection.table_names()
    _migrate_to_latest()

    assert _billing_rows([freelancer]) == before
    rebuilt = Payment.objects.get(transfer_id=paid.transfer_id)
    assert Transfer.objects.get(pk=refund.pk).metadata == {
        **refund.metadata,
        "payment_id": rebuilt.pk,
    }
    assert ledger_violations() == []
    assert payment_violations() == []
