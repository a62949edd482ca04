"""The migrations that turned payments into rows (ledger 0002 and 0003, billing 0005 and 0006,
contracts 0004 and 0005), run forward over payments that already exist:

- as the code before them booked payments (the parties, the fee and the milestone only in
  the transfer's metadata, a reversal naming only the transfer it reverses), built with the
  historical models at the state before the migrations;
- as the demo books them: `demo_load`, then the billing and contracts migrations back and
  forward again, which must rebuild the same relationships, payments and milestone links;
- as today's code books them (payments and a partial refund), back before the ledger's
  party columns and forward again.

It lives in contracts, the highest of the three apps, because it reads all three: the
import-linter layers contract covers test modules, and billing may not import contracts.

Each migrates the test database itself, so it runs with `transaction=True` (migrations
cannot run inside the test's transaction) and always migrates back to the latest state,
even when it fails half-way; `serialized_rollback` puts back the rows data migrations seed
(skills, fee policies), which the flush after a transactional test deletes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor

from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.billing.checks import payment_violations
from openlance.billing.fees import freelancer_fee
from openlance.billing.models import Payment, PaymentKind, Relationship
from openlance.billing.payments import payment_for_work, payment_refund
from openlance.billing.tests.factories import paid_for_work
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
# Billing and contracts only: the ledger keeps its party columns, which the demo's transfers
# (booked by today's code) need, since their metadata no longer names the parties.
BEFORE_BILLING_ROWS = BEFORE_RELATIONSHIPS[:2]
SPEC = SlidingSchedule.model_validate(SLIDING_20_10_5)
MARKETPLACE_FEE_BP = 500
INITIATION_FEE_CENTS = 495


def _migrate(targets: list[tuple[str, str]]) -> Any:
    """Migrate the database to `targets` and return the historical apps of that state."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


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
        self.billed: dict[tuple[int, int], int] = {}

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
        billed_before = self.billed.get(pair, 0)
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


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("migrated_back_and_forth")
@pytest.mark.parametrize("with_reversal", [False, True])
def test_old_payments_become_relationships_payments_and_milestone_links(
    with_reversal: bool,
) -> None:
    # Contracts, users and milestones are made with today's services (they hold no money
    # yet, and the migrations leave those rows alone); the money is booked the old way.
    a = contract_fixed([30_000, 40_000, 25_000])
    freelancer1, client1 = a.freelancer, a.client
    b = contract_fixed([60_000], client=client1, freelancer=freelancer1)
    c = contract_fixed([20_000], freelancer=freelancer1)
    d = contract_fixed([15_000], client=client1)
    unfunded = contract_fixed([10_000], client=client1, freelancer=freelancer1)
    client2, freelancer2 = c.client, d.freelancer
    milestones = {
        contract.pk: list(contract.milestones.order_by("position").values_list("pk", flat=True))
        for contract in (a, b, c, d)
    }

    books = OldBooks(_migrate(BEFORE_RELATIONSHIPS))
    for client in (client1, client2):
        books.deposit(client.pk, 500_000)
    fund_a = books.fund(a, milestones[a.pk][0], first=True)
    a1 = books.release(a, milestones[a.pk][0])
    books.fund(a, milestones[a.pk][1], first=False)
    a2 = books.release(a, milestones[a.pk][1], automatic=True)
    books.fund(a, milestones[a.pk][2], first=False)  # funded, not released
    reversal = books.reverse(a2) if with_reversal else None
    fund_b = books.fund(b, milestones[b.pk][0], first=True)
    b1 = books.release(b, milestones[b.pk][0])
    fund_c = books.fund(c, milestones[c.pk][0], first=True)
    c1 = books.release(c, milestones[c.pk][0])
    fund_d = books.fund(d, milestones[d.pk][0], first=True)
    d1 = books.release(d, milestones[d.pk][0])

    _migrate_to_latest()

    # The parties, from the metadata; a reversal is about the parties of what it reverses.
    for old in (fund_a, a1, a2, fund_b, b1, fund_c, c1, fund_d, d1):
        transfer = Transfer.objects.get(pk=old.pk)
        assert (transfer.freelancer_id, transfer.client_id) == (
            old.metadata["freelancer_id"],
            old.metadata["client_id"],
        )
    if reversal is not None:
        transfer = Transfer.objects.get(pk=reversal.pk)
        assert (transfer.freelancer_id, transfer.client_id) == (freelancer1.pk, client1.pk)

    # One relationship per pair; a reversed payment is not billed.
    # $300 + $400 + $600 is $500 at 20% and $800 at 10%; without the $400, $500 at 20% and
    # $400 at 10%. The reversed payment still counts as a payment (a refunded one).
    a2_gross = 0 if with_reversal else 40_000
    billed, fee = (90_000, 14_000) if with_reversal else (130_000, 18_000)
    expected = {
        (freelancer1.pk, client1.pk): (billed, fee, 3),
        (freelancer1.pk, client2.pk): (20_000, 4_000, 1),
        (freelancer2.pk, client1.pk): (15_000, 3_000, 1),
    }
    relationships = {(r.freelancer_id, r.client_id): r for r in Relationship.objects.all()}
    assert {
        pair: (r.gross_cents, r.fee_cents, r.payments) for pair, r in relationships.items()
    } == expected
    for r in relationships.values():
        assert r.net_cents == r.gross_cents - r.fee_cents
    assert relationships[(freelancer1.pk, client1.pk)].first_paid_at == a1.created_at
    assert relationships[(freelancer1.pk, client1.pk)].last_paid_at == b1.created_at

    # A payment row per old payment, priced as its metadata says.
    payments = {p.transfer_id: p for p in Payment.objects.select_related("relationship")}
    assert set(payments) == {a1.pk, a2.pk, b1.pk, c1.pk, d1.pk}
    for old in (a1, a2, b1, c1, d1):
        payment = payments[old.pk]
        meta = old.metadata
        reversed_ = with_reversal and old.pk == a2.pk
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
    assert payments[b1.pk].billed_before_cents == 30_000 + a2_gross

    # Each milestone payment is linked to its milestone and contract.
    links = {
        link.payment.transfer_id: (link.milestone_id, link.contract_id, link.automatic)
        for link in MilestoneRelease.objects.select_related("payment")
    }
    assert links == {
        a1.pk: (milestones[a.pk][0], a.pk, False),
        a2.pk: (milestones[a.pk][1], a.pk, True),
        b1.pk: (milestones[b.pk][0], b.pk, False),
        c1.pk: (milestones[c.pk][0], c.pk, False),
        d1.pk: (milestones[d.pk][0], d.pk, False),
    }

    # Each funded contract knows its first funding and the initiation fee it carried.
    firsts = dict(Contract.objects.values_list("pk", "first_funding_id"))
    assert firsts == {
        a.pk: fund_a.pk,
        b.pk: fund_b.pk,
        c.pk: fund_c.pk,
        d.pk: fund_d.pk,
        unfunded.pk: None,
    }
    fees = dict(Contract.objects.values_list("pk", "initiation_fee_cents"))
    assert fees == {a.pk: 495, b.pk: 495, c.pk: 495, d.pk: 495, unfunded.pk: 0}

    assert ledger_violations() == []
    assert payment_violations() == []

    # Today's code carries on from the migrated rows: the next payment prices from the
    # pair's billings, and part of a migrated payment can be refunded.
    with transaction.atomic():
        nxt = payment_for_work(
            kind=PaymentKind.BONUS,
            key="after-migration:bonus",
            freelancer=freelancer1,
            client=client1,
            gross=Money(10_000),
            source=funded_escrow(10_000, n=999),
            schedule=SPEC,
            description="A bonus after the upgrade",
        )
        payment_refund(
            payment=Payment.objects.get(transfer_id=c1.pk),
            amount=Money(5_000),
            key="after-migration:refund",
            reason="Partly undone",
        )
    assert nxt.billed_before_cents == billed
    assert nxt.fee_cents == 1_000  # past the first $500: 10%
    refunded = Relationship.objects.get(freelancer=freelancer1, client=client2)
    assert (refunded.gross_cents, refunded.fee_cents) == (15_000, 3_000)
    assert ledger_violations() == []
    assert payment_violations() == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("migrated_back_and_forth")
def test_a_payment_is_what_its_transfer_posted_not_what_its_metadata_says() -> None:
    # Metadata only describes: an old payment whose metadata lost its amounts is still the
    # $300 its legs moved, $60 of fee (20%) and $240 to the freelancer.
    contract = contract_fixed([30_000])
    milestone_id = contract.milestones.get().pk
    books = OldBooks(_migrate(BEFORE_RELATIONSHIPS))
    books.deposit(contract.client_id, 100_000)
    books.fund(contract, milestone_id, first=True)
    release = books.release(contract, milestone_id)
    amounts = ("gross_cents", "fee_cents", "net_cents")
    books.Transfer.objects.filter(pk=release.pk).update(
        metadata={key: value for key, value in release.metadata.items() if key not in amounts}
    )

    _migrate_to_latest()

    payment = Payment.objects.select_related("relationship").get(transfer_id=release.pk)
    assert (payment.gross_cents, payment.fee_cents, payment.net_cents) == (30_000, 6_000, 24_000)
    relationship = payment.relationship
    assert (
        relationship.gross_cents,
        relationship.fee_cents,
        relationship.net_cents,
        relationship.payments,
    ) == (30_000, 6_000, 24_000, 1)
    assert ledger_violations() == []
    assert payment_violations() == []


def _billing_rows() -> dict[str, Any]:
    """The relationships, payments and milestone links, by what identifies them rather
    than by primary key (the rebuilt rows are new rows). Times are left out: the services
    stamp a payment a moment after its transfer, the migration with the transfer's time."""
    return {
        "relationships": {
            (r.freelancer_id, r.client_id): (r.gross_cents, r.fee_cents, r.net_cents, r.payments)
            for r in Relationship.objects.all()
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
            for p in Payment.objects.select_related("relationship")
        },
        "links": {
            link.payment.transfer_id: (link.milestone_id, link.contract_id, link.automatic)
            for link in MilestoneRelease.objects.select_related("payment")
        },
        "contracts": set(
            Contract.objects.values_list("pk", "first_funding_id", "initiation_fee_cents")
        ),
    }


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("migrated_back_and_forth")
def test_the_demos_relationships_are_rebuilt_from_the_ledger() -> None:
    call_command("demo_load", "--scale", "small", "--no-progress", verbosity=0)
    before = _billing_rows()
    # The demo pays for work, so there is something to rebuild.
    assert before["payments"]
    assert before["links"]
    assert Milestone.objects.filter(released_cents__gt=0).exists()

    _migrate(BEFORE_BILLING_ROWS)
    # Really gone, so what comes back was rebuilt from the ledger.
    assert "billing_relationship" not in connection.introspection.table_names()
    _migrate_to_latest()

    assert _billing_rows() == before
    assert ledger_violations() == []
    assert payment_violations() == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("migrated_back_and_forth")
def test_payments_made_today_survive_going_back_before_the_ledgers_party_columns() -> None:
    # Paid by today's code, whose transfers name the parties in columns only, and partly
    # refunded, which names the payment by its row's id (gone while the rows are).
    freelancer, client = freelancer_user(), client_user()
    first = paid_for_work(freelancer, client, 30_000, schedule=SPEC, n=1)
    paid_for_work(freelancer, client, 30_000, kind=PaymentKind.BONUS, schedule=SPEC, n=2)
    with transaction.atomic():
        refund = payment_refund(
            payment=first, amount=Money(10_000), key="today:refund", reason="Partly undone"
        )
    before = _billing_rows()

    _migrate(BEFORE_RELATIONSHIPS)
    _migrate_to_latest()

    assert _billing_rows() == before
    assert ledger_violations() == []
    assert payment_violations() == []
    # The refund names the rebuilt payment, so repeating it is a replay, not a conflict; its
    # metadata keeps the parties the way back wrote into it, as old transfers' did.
    rebuilt = Payment.objects.get(transfer_id=first.transfer_id)
    assert Transfer.objects.get(pk=refund.pk).metadata == {
        **refund.metadata,
        "payment_id": rebuilt.pk,
        "client_id": client.pk,
        "freelancer_id": freelancer.pk,
    }
    with transaction.atomic():
        replay = payment_refund(
            payment=rebuilt, amount=Money(10_000), key="today:refund", reason="Partly undone"
        )
    assert replay.pk == refund.pk
