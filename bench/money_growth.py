r"""Does money stay as fast when the marketplace grows? The fee base of a payment, a release,
the wallet page and the contract room, timed with 1,000, 100,000 and 1,000,000 unrelated
past payments in the ledger. Target: each within 2x from the smallest size to the largest.

    .venv/bin/python bench/money_growth.py                     (make bench: 1,000 and 100,000)
    .venv/bin/python bench/money_growth.py --sizes 1000,100000,1000000       (the full run)
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python bench/money_growth.py [--sizes ...]   (PostgreSQL too)

By default (and so under `make bench`) it times 1,000 and 100,000 past payments, about a
minute per backend on 2 cores; the target is judged from 1,000 to 1,000,000, so run the
full sizes for it (5 to 8 minutes per backend, see below).

The subject: a client and a freelancer (made by the test factories, through the services)
with a fixed-price contract of four milestones, two of them released, one funded, one not
(the contract room that is measured), and money in the client's balance from a card deposit.

At each size the ledger is grown until it holds that many unrelated past payments, then,
each after two warm-up runs, timed as median and p95, with the queries of one more run:
- fee base: `billing.selectors.lifetime_billings` of the subject pair (30 runs);
- release: `contracts.milestones.release.milestone_approve` of a funded, submitted milestone
  of a new contract of the pair (15 runs; funding and submitting each milestone are not
  timed);
- wallet page: GET /wallet/ as the freelancer, and as the client (30 runs each);
- contract room: GET /contracts/<id>/ as the client (30 runs).
Pages go through Django's test client, signed in with force_login, DEBUG off. The events a
release records are queued for the worker, as in production; their handlers are not timed.
The subject's own history grows a little at each size (a deposit, a new contract, 18 fundings
and releases); the contract room measured is the same contract throughout.

The unrelated past payments are those of 1,000 freelancer-client pairs of users made for the
bench, paid in turn; each pair works through contracts of five $500 milestones. So at
1,000,000 every one of those users is a heavy one (1,000 payments), and PostgreSQL's row
estimates for any user's transfers, the subject's too, follow that average. Each payment
is written as the services book it: a `milestone_fund` transfer (client balance -> contract
escrow, plus the marketplace fee, and the initiation fee on a contract's first milestone,
into the fee revenue sub-account of the client), a `milestone_release` transfer (escrow ->
the freelancer's pending balance, plus the service fee priced on the sliding schedule from
the pair's billings so far), the billing Payment record and the pair's Relationship totals;
a card deposit puts each contract's whole cost into the client's balance first. Transfers
name their client and freelancer and carry the metadata the services write. Not written:
the contracts, milestones and milestone releases behind those payments (their ids in the
metadata and keys point nowhere) and their pending earnings, so reads that grow with other
apps' tables are not covered. Rows are bulk-loaded with explicit ids (COPY on PostgreSQL,
executemany on SQLite; the indexes of transfers, entries and payments, and on PostgreSQL
their keys, are dropped for the load and rebuilt after it), balances after each entry
computed as posting would, so the ledger stays sound: `ledger_violations` and
`payment_violations` run once after the largest size, and the run exits non-zero when they
find anything. It only prints timings; a ratio above the target does not fail the run.

After growing, the planner's statistics are refreshed as a live database has them: on
SQLite by the app's own hourly task (`core.services.database_statistics_refresh`), on
PostgreSQL by VACUUM ANALYZE, which autovacuum would do after such a load (and would
otherwise do in the middle of the timings).

Runs on a throwaway SQLite database in a temporary directory, never on var/. With
BENCH_DATABASE_URL=postgres://user@host:5432/db it also runs on PostgreSQL, in a database
named openlance_bench_money_<pid> (or BENCH_DATABASE_NAME) that it creates (the user needs
CREATEDB) and drops; the database named in the URL is only used to connect. Each
backend runs in one child process, which reports its progress on stderr as it goes; the
tables come on stdout when each backend is done. --sizes (or BENCH_MONEY_SIZES, e.g.
1000,10000 for a quick run) sets the sizes. At 1,000,000 payments the ledger holds 2.2
million transfers and 6.4 million entries: 5 to 8 minutes per backend on 2 cores, half of
it growing and two minutes or more checking, which takes 1.5 GB (SQLite) to 3 GB
(PostgreSQL) of memory. Timings are only as quiet as the machine: each table ends with the
load average after each size was timed, and on cores shared with other work a ratio can move
by more than the 2x it is held to from one run to the next.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from _harness import ROOT, postgres_database, start_child

SIZES = (1_000, 100_000)  # `make bench`; the target is judged with --sizes 1000,100000,1000000
TARGET_RATIO = 2.0
PAIRS = 1_000
MILESTONES_PER_CONTRACT = 5
PAST_MILESTONE_CENTS = 50_000
# The contract and milestone ids the past payments' metadata and keys name. Eight digits, so
# the idempotency keys sort in the order they are written (appending to the unique index).
FAKE_ID_BASE = 10_000_000
PAST_SPACING = timedelta(minutes=1)
BATCH = 20_000  # past payments per bulk load
WARMUP = 2
RUNS = 30
RELEASE_RUNS = 15  # each one uses up a milestone; a contract has at most 20
SUBJECT_CENTS = 20_000
SUBJECT_DEPOSIT_CENTS = 1_000_000  # more than a size's releases cost the client
OPERATIONS = [
    "fee base (lifetime_billings)",
    "release (milestone_approve)",
    "wallet page, freelancer",
    "wallet page, client",
    "contract room, client",
]


@dataclass(frozen=True)
class Priced:
    """The service fee on a past payment, its tiers, and the start of its transfer's
    metadata (the release adds the contract's and milestone's ids), encoded as JSON."""

    fee_cents: int
    tiers_json: str
    metadata_head: str


@dataclass
class Pair:
    """One unrelated freelancer-client pair: its accounts, and what the grower keeps of it
    between batches (the Relationship totals it writes, the contract in progress)."""

    freelancer_id: int
    client_id: int
    funding_id: int
    pending_id: int
    fee_revenue_id: int
    clearing_id: int
    relationship_id: int | None = None
    gross: int = 0
    fee: int = 0
    net: int = 0
    payments: int = 0
    first_paid_at: Any = None
    last_paid_at: Any = None
    contract_id: int = 0
    escrow_id: int = 0
    position: int = MILESTONES_PER_CONTRACT  # of the last milestone paid in its contract


class PastPayments:
    """The unrelated payments, written in bulk as the services would have booked them."""

    def __init__(self, largest: int) -> None:
        from django.db import transaction

        from openlance.accounts.models import Role, User
        from openlance.billing.fees import client_fees
        from openlance.core import clock
        from openlance.core.policies import fee_policy_at
        from openlance.ledger.models import AccountKind
        from openlance.ledger.services import account_for, platform_account

        now = clock.now()
        policy = fee_policy_at(now)
        self.schedule = policy.freelancer_fee
        self.client_fees = {
            first: client_fees(
                policy, amount_cents=PAST_MILESTONE_CENTS, first_payment_of_contract=first
            )
            for first in (True, False)
        }
        self.deposit_cents = (
            self.client_fees[True].total_charged_cents
            + (MILESTONES_PER_CONTRACT - 1) * self.client_fees[False].total_charged_cents
        )
        self.prices: dict[int, Priced] = {}
        self.history_start = now - PAST_SPACING * (largest + 1) - timedelta(days=1)
        self.written = 0
        self.next_contract_id = FAKE_ID_BASE
        self.ids: dict[str, Iterator[int]] = {}  # the next ids of each table, from MAX(id)
        with transaction.atomic():
            users = User.objects.bulk_create(
                [
                    User(
                        email=f"past-{role}-{n}@bench.invalid",
                        password="!",  # unusable; hashing thousands would dominate the setup
                        is_freelancer=role == Role.FREELANCER,
                        is_client=role == Role.CLIENT,
                        active_role=role,
                    )
                    for n in range(PAIRS)
                    for role in (Role.FREELANCER, Role.CLIENT)
                ]
            )
            self.pairs = [
                Pair(
                    freelancer_id=freelancer.pk,
                    client_id=client.pk,
                    funding_id=account_for(kind=AccountKind.CLIENT_FUNDING, owner=client).pk,
                    pending_id=account_for(
                        kind=AccountKind.FREELANCER_PENDING, owner=freelancer
                    ).pk,
                    fee_revenue_id=platform_account(
                        AccountKind.PLATFORM_FEE_REVENUE, spread=client.pk
                    ).pk,
                    clearing_id=platform_account(AccountKind.GATEWAY_CLEARING, spread=client.pk).pk,
                )
                for freelancer, client in zip(users[::2], users[1::2], strict=True)
            ]
        self.platform_ids = {p.fee_revenue_id for p in self.pairs} | {
            p.clearing_id for p in self.pairs
        }
        # Every account's balance as the entries written so far leave it, and as stored.
        self.balances = {account: 0 for p in self.pairs for account in (p.funding_id, p.pending_id)}
        self.stored = dict(self.balances)

    def grow_to(self, size: int) -> None:
        """Write past payments until there are `size` of them, in one transaction."""
        from django.core.management.color import no_style
        from django.db import connection, transaction

        from openlance.billing.models import Payment, Relationship
        from openlance.ledger.models import Entry, LedgerAccount, Transfer

        tables = [LedgerAccount, Relationship, Transfer, Entry, Payment]
        with (
            transaction.atomic(),
            connection.cursor() as cursor,
            _indexes_set_aside([Transfer, Entry, Payment]),
        ):
            for model in tables:
                table = model._meta.db_table
                cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 (a model's table)
                self.ids[table] = itertools.count(cursor.fetchone()[0] + 1)
            # The subject's payments between two sizes moved the shared platform accounts.
            for account, balance in LedgerAccount.objects.filter(
                pk__in=self.platform_ids
            ).values_list("pk", "balance_cents"):
                self.balances[account] = self.stored[account] = balance
            for start in range(self.written, size, BATCH):
                self._write(range(start, min(size, start + BATCH)))
            changed = [
                (balance, account)
                for account, balance in self.balances.items()
                if self.stored.get(account, 0) != balance
            ]
            cursor.executemany(
                f"UPDATE {LedgerAccount._meta.db_table} SET balance_cents = %s WHERE id = %s",  # noqa: S608 (a model's table)
                changed,
            )
            self.stored.update((account, balance) for balance, account in changed)
            cursor.executemany(
                f"UPDATE {Relationship._meta.db_table} SET gross_cents = %s, fee_cents = %s, "  # noqa: S608 (a model's table)
                "net_cents = %s, payments = %s, first_paid_at = %s, last_paid_at = %s "
                "WHERE id = %s",
                [
                    (p.gross, p.fee, p.net, p.payments, p.first_paid_at, p.last_paid_at, rel)
                    for p in self.pairs
                    if (rel := p.relationship_id) is not None
                ],
            )
            for sql in connection.ops.sequence_reset_sql(no_style(), tables):
                cursor.execute(sql)
        self.written = size

    def _id(self, table: str) -> int:
        return next(self.ids[table])

    def _priced(self, billed_before: int) -> Priced:
        """A past payment priced as `payment_for_work` prices it; every pair's n-th payment
        has the same billings before it, so each price is worked out and encoded once."""
        from openlance.billing.fees import freelancer_fee

        if billed_before not in self.prices:
            fee = freelancer_fee(
                self.schedule, amount_cents=PAST_MILESTONE_CENTS, billed_before_cents=billed_before
            )
            tiers = [
                {
                    "lower_cents": tier.lower_cents,
                    "upper_cents": tier.upper_cents,
                    "rate_bp": tier.rate_bp,
                    "amount_cents": tier.amount_cents,
                    "fee_cents": tier.fee_cents,
                }
                for tier in fee.tiers
            ]
            metadata = {
                "gross_cents": PAST_MILESTONE_CENTS,
                "fee_cents": fee.fee_cents,
                "net_cents": fee.net_cents,
                "billed_before_cents": billed_before,
                "tiers": tiers,
            }
            self.prices[billed_before] = Priced(
                fee.fee_cents, json.dumps(tiers), json.dumps(metadata).removesuffix("}")
            )
        return self.prices[billed_before]

    def _write(self, numbers: range) -> None:
        """Write past payments `numbers`: build every row, then load table by table, the
        referenced tables first."""
        from django.db import connection

        from openlance.billing.models import Payment, PaymentKind, Relationship
        from openlance.billing.selectors import MILESTONE_FUND
        from openlance.billing.services import CARD_DEPOSIT
        from openlance.ledger.models import AccountKind, Entry, LedgerAccount, Transfer

        accounts: list[tuple[Any, ...]] = []
        relationships: list[tuple[Any, ...]] = []
        transfers: list[tuple[Any, ...]] = []
        entries: list[tuple[Any, ...]] = []
        payments: list[tuple[Any, ...]] = []
        transfer_table, entry_table = Transfer._meta.db_table, Entry._meta.db_table
        # Plain strings: psycopg would write an enum member by its name.
        release_kind = PaymentKind.MILESTONE_RELEASE.value
        escrow_kind = AccountKind.CONTRACT_ESCROW.value

        def transfer(
            key: str,
            kind: str,
            description: str,
            at: Any,
            client: int,
            freelancer: int | None,
            metadata: str,
        ) -> int:
            transfer_id = self._id(transfer_table)
            transfers.append(
                (
                    transfer_id,
                    key,
                    kind,
                    description,
                    "USD",
                    None,
                    client,
                    freelancer,
                    metadata,
                    at,
                )
            )
            return transfer_id

        def legs(transfer_id: int, *moves: tuple[int, int]) -> None:
            for account, amount in moves:
                if amount:
                    balance = self.balances[account] = self.balances[account] + amount
                    entries.append(
                        (self._id(entry_table), transfer_id, account, amount, "USD", balance)
                    )

        for number in numbers:
            pair = self.pairs[number % PAIRS]
            at = connection.ops.adapt_datetimefield_value(
                self.history_start + PAST_SPACING * number
            )
            if pair.position == MILESTONES_PER_CONTRACT:
                pair.contract_id, pair.position = self.next_contract_id, 0
                self.next_contract_id += 1
                pair.escrow_id = self._id(LedgerAccount._meta.db_table)
                reference = f"contract:{pair.contract_id}"
                accounts.append(
                    (
                        pair.escrow_id,
                        f"{escrow_kind}:{reference}:USD",
                        escrow_kind,
                        "USD",
                        None,
                        reference,
                        False,
                        0,
                        at,
                    )
                )
                self.balances[pair.escrow_id] = 0
                charge = f"ch_past_{pair.contract_id}"
                deposit = transfer(
                    f"charge:{charge}",
                    CARD_DEPOSIT,
                    "Added funds by card (pm_card_visa)",
                    at,
                    pair.client_id,
                    None,
                    json.dumps({"charge": charge, "gateway": "sandbox"}),
                )
                legs(
                    deposit,
                    (pair.clearing_id, -self.deposit_cents),
                    (pair.funding_id, self.deposit_cents),
                )
            if pair.relationship_id is None:
                pair.relationship_id = self._id(Relationship._meta.db_table)
                relationships.append(
                    (
                        pair.relationship_id,
                        pair.freelancer_id,
                        pair.client_id,
                        0,
                        0,
                        0,
                        0,
                        None,
                        None,
                        at,
                    )
                )
            pair.position += 1
            milestone_id = FAKE_ID_BASE + number
            client_fees = self.client_fees[pair.position == 1]
            client_fee = client_fees.marketplace_fee_cents + client_fees.initiation_fee_cents
            about = f"milestone “Milestone {pair.position}” of contract {pair.contract_id}"
            funding = transfer(
                f"milestone:{milestone_id}:fund",
                MILESTONE_FUND,
                f"Funded {about}",
                at,
                pair.client_id,
                pair.freelancer_id,
                json.dumps(
                    {
                        "contract_id": pair.contract_id,
                        "milestone_id": milestone_id,
                        "client_id": pair.client_id,
                        "freelancer_id": pair.freelancer_id,
                        "amount_cents": PAST_MILESTONE_CENTS,
                        "marketplace_fee_cents": client_fees.marketplace_fee_cents,
                        "initiation_fee_cents": client_fees.initiation_fee_cents,
                    }
                ),
            )
            legs(
                funding,
                (pair.funding_id, -client_fees.total_charged_cents),
                (pair.escrow_id, PAST_MILESTONE_CENTS),
                (pair.fee_revenue_id, client_fee),
            )
            price = self._priced(pair.gross)
            fee, net = price.fee_cents, PAST_MILESTONE_CENTS - price.fee_cents
            release = transfer(
                f"milestone:{milestone_id}:release:1",
                release_kind,
                f"Released {about}",
                at,
                pair.client_id,
                pair.freelancer_id,
                f'{price.metadata_head}, "contract_id": {pair.contract_id}, '
                f'"milestone_id": {milestone_id}, "automatic": false}}',
            )
            legs(
                release,
                (pair.escrow_id, -PAST_MILESTONE_CENTS),
                (pair.pending_id, net),
                (pair.fee_revenue_id, fee),
            )
            payments.append(
                (
                    self._id(Payment._meta.db_table),
                    release,
                    pair.relationship_id,
                    release_kind,
                    PAST_MILESTONE_CENTS,
                    fee,
                    net,
                    pair.gross,
                    price.tiers_json,
                    0,
                    0,
                    at,
                )
            )
            pair.gross += PAST_MILESTONE_CENTS
            pair.fee += fee
            pair.net += net
            pair.payments += 1
            pair.first_paid_at = pair.first_paid_at or at
            pair.last_paid_at = at

        _load(
            LedgerAccount,
            "id code kind currency owner_id reference may_go_negative balance_cents created_at",
            accounts,
        )
        _load(
            Relationship,
            "id freelancer_id client_id gross_cents fee_cents net_cents payments "
            "first_paid_at last_paid_at created_at",
            relationships,
        )
        _load(
            Transfer,
            "id idempotency_key kind description currency reverses_id client_id freelancer_id "
            "metadata created_at",
            transfers,
        )
        _load(Entry, "id transfer_id account_id amount_cents currency balance_after_cents", entries)
        _load(
            Payment,
            "id transfer_id relationship_id kind gross_cents fee_cents net_cents "
            "billed_before_cents tiers refunded_cents refunded_fee_cents created_at",
            payments,
        )


@contextmanager
def _indexes_set_aside(models: list[Any]) -> Iterator[None]:
    """Drop the tables' secondary indexes (and on PostgreSQL their unique and foreign key
    constraints) and put them back as they were afterwards, in the transaction under way.
    Building an index from all the rows at once, and checking a key in one join, costs a
    fraction of keeping them up row by row through millions of inserts; a duplicate or a
    dangling key still fails the load when they come back."""
    from django.db import connection

    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('f', 'u') "
                "ORDER BY contype",  # foreign keys first: drop them first, add them last
                [tables],
            )
            constraints = cursor.fetchall()
            cursor.execute(
                "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
                "WHERE indrelid = ANY(%s::regclass[]) AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint WHERE conindid = indexrelid)",
                [tables],
            )
            indexes = cursor.fetchall()
            drops = [
                f'ALTER TABLE {table} DROP CONSTRAINT "{name}"' for table, name, *_ in constraints
            ]
            drops += [f"DROP INDEX {name}" for name, _ in indexes]
            restores = [definition for _, definition in indexes]
            restores += [
                f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
                for table, name, _, definition in reversed(constraints)
            ]
        else:
            # SQLite keeps unique constraints and foreign keys in the table itself; only the
            # CREATE INDEX ones can go.
            cursor.execute(
                "SELECT tbl_name, name, sql FROM sqlite_master "
                "WHERE type = 'index' AND sql IS NOT NULL"
            )
            indexes = [(name, sql) for table, name, sql in cursor.fetchall() if table in tables]
            drops = [f'DROP INDEX "{name}"' for name, _ in indexes]
            restores = [definition for _, definition in indexes]
        for statement in drops:
            cursor.execute(statement)
        yield
        for statement in restores:
            cursor.execute(statement)


def _load(model: Any, columns: str, rows: list[tuple[Any, ...]]) -> None:
    """Insert `rows` (values of the space-separated `columns`) into the model's table, in
    the transaction under way: with COPY on PostgreSQL, executemany on SQLite."""
    from django.db import connection

    if not rows:
        return
    table, names = model._meta.db_table, ", ".join(columns.split())
    raw = connection.connection  # the driver's own connection, in Django's transaction
    if connection.vendor == "postgresql":
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" * len(columns.split()))
        raw.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608 (a model's table)


@dataclass(frozen=True)
class Subject:
    client: Any
    freelancer: Any
    room: Any


def _approve_ready(subject: Subject, milestone: Any) -> Callable[[], object]:
    """Fund and submit `milestone`; return its approval, the release to time."""
    from openlance.contracts.milestones.funding import BALANCE, milestone_fund
    from openlance.contracts.milestones.release import milestone_approve
    from openlance.contracts.milestones.submissions import milestone_submit

    funded = milestone_fund(client=subject.client, milestone=milestone, payment_method=BALANCE)
    milestone_submit(freelancer=subject.freelancer, milestone=funded, message="Done.")
    return lambda: milestone_approve(client=subject.client, milestone=funded)


def _deposit(subject: Subject, key: str) -> None:
    from openlance.billing.services import funds_deposit
    from openlance.core.money import Money

    funds_deposit(
        user=subject.client,
        amount=Money(SUBJECT_DEPOSIT_CENTS),
        payment_method="pm_card_visa",
        key=key,
    )


def subject_build() -> Subject:
    """The pair the timings are about, made through the services as the tests make them."""
    from openlance.contracts.milestones.funding import BALANCE, milestone_fund
    from openlance.contracts.tests.factories import contract_fixed

    room = contract_fixed((SUBJECT_CENTS,) * 4)
    subject = Subject(client=room.client, freelancer=room.freelancer, room=room)
    _deposit(subject, "bench-subject")
    first, second, third, _ = room.milestones.order_by("position")
    for milestone in (first, second):
        _approve_ready(subject, milestone)()
    milestone_fund(client=subject.client, milestone=third, payment_method=BALANCE)
    return subject


def _timed(prepare: Callable[[], Callable[[], object]], runs: int) -> dict[str, Any]:
    """Median and p95 of `runs` timed calls of what `prepare` returns, after the warm-up;
    the queries of one more call."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(WARMUP):
        prepare()()
    seconds = []
    for _ in range(runs):
        call = prepare()
        t0 = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - t0)
    call = prepare()
    with CaptureQueriesContext(connection) as queries:
        call()
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return {
        "median_ms": round(cuts[49] * 1000, 4),
        "p95_ms": round(cuts[94] * 1000, 4),
        "queries": len(queries),
    }


def measure(subject: Subject, size: int) -> list[dict[str, Any]]:
    """Time the operations of OPERATIONS, in that order, on the ledger as it is."""
    from django.test import Client
    from django.urls import reverse

    from openlance.billing.selectors import lifetime_billings
    from openlance.contracts.tests.factories import contract_fixed

    def page(user: Any, url: str) -> Callable[[], Callable[[], object]]:
        browser = Client(HTTP_HOST="localhost")  # one of the default ALLOWED_HOSTS
        browser.force_login(user)

        def get() -> None:
            response = browser.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"GET {url} answered {response.status_code}")

        return lambda: get

    _deposit(subject, f"bench-subject-{size}")
    contract = contract_fixed(
        (SUBJECT_CENTS,) * (WARMUP + RELEASE_RUNS + 1),
        client=subject.client,
        freelancer=subject.freelancer,
    )
    milestones: Iterator[Any] = iter(contract.milestones.order_by("position"))
    wallet, room = reverse("wallet"), reverse("contract_detail", args=[subject.room.pk])

    def fee_base() -> object:
        return lifetime_billings(freelancer=subject.freelancer, client=subject.client)

    return [
        _timed(lambda: fee_base, RUNS),
        _timed(lambda: _approve_ready(subject, next(milestones)), RELEASE_RUNS),
        _timed(page(subject.freelancer, wallet), RUNS),
        _timed(page(subject.client, wallet), RUNS),
        _timed(page(subject.client, room), RUNS),
    ]


def _progress(backend: str, text: str) -> None:
    """A line on stderr, which the parent passes through as it comes (stdout is the result)."""
    print(f"money_growth [{backend}]: {text} ...", file=sys.stderr, flush=True)


def child(sizes: list[int]) -> dict[str, Any]:
    """Set up Django on DATABASE_URL (set by the parent), migrate, build the subject, then
    grow and measure at each size; check the ledger at the end."""
    started = time.perf_counter()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openlance.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings

    from openlance.billing.checks import payment_violations
    from openlance.core.services import database_statistics_refresh
    from openlance.ledger.checks import ledger_violations
    from openlance.ledger.models import Entry, Transfer

    # As the tests do: pages render {% static %} without collectstatic's manifest, and
    # nothing the services send by mail reaches stdout, which carries our result.
    with override_settings(
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    ):
        # WhiteNoise warns on the first request when its directory is missing.
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
        call_command("migrate", verbosity=0, interactive=False)
        subject = subject_build()
        past = PastPayments(largest=sizes[-1])
        grown, results, load = [], [], []
        for size in sizes:
            _progress(connection.vendor, f"growing the ledger to {size:,} past payments")
            t0 = time.perf_counter()
            past.grow_to(size)
            if not database_statistics_refresh():
                with connection.cursor() as cursor:
                    cursor.execute("VACUUM ANALYZE")
            grown.append(round(time.perf_counter() - t0, 1))
            _progress(connection.vendor, f"grown in {grown[-1]} s; timing at {size:,}")
            gc.collect()  # the rows just written, not the operations, pay for collecting them
            results.append(measure(subject, size))
            # The machine's 1-minute load average just after timing: a busy machine, not the
            # ledger, is the likelier cause of a ratio that moves between two runs.
            load.append(round(os.getloadavg()[0], 1))
        _progress(connection.vendor, "checking the ledger and payments")
        t0 = time.perf_counter()
        problems = ledger_violations() + payment_violations()
        checked = round(time.perf_counter() - t0, 1)
    return {
        "backend": connection.vendor,
        "sizes": sizes,
        "results": results,
        "grown_s": grown,
        "load": load,
        "cores": os.cpu_count(),
        "check_s": checked,
        "transfers": Transfer.objects.count(),
        "entries": Entry.objects.count(),
        "problems": problems,
        "total_s": round(time.perf_counter() - started, 1),
    }


def _short(size: int) -> str:
    for unit, suffix in ((1_000_000, "M"), (1_000, "k")):
        if size >= unit and size % unit == 0:
            return f"{size // unit}{suffix}"
    return str(size)


def _ms(value: float) -> str:
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def run_backend(args: list[str], database_url: str, tmp: str) -> dict[str, Any]:
    """Run the child on `database_url` with its stderr (its progress) passed straight
    through, so a long run shows where it is; its result is the last line of its stdout."""
    proc = start_child(__file__, args, database_url, tmp, stderr=sys.stderr)
    out, _ = proc.communicate("")
    if proc.returncode != 0:
        sys.stderr.write(out)
        raise SystemExit(f"money_growth: the child failed on {urlsplit(database_url).scheme}")
    return json.loads(out.strip().splitlines()[-1])


def report(row: dict[str, Any]) -> bool:
    """Print the backend's table and verdict; True when the ledger is sound."""
    sizes, results = row["sizes"], row["results"]
    ratio_label = f"{_short(sizes[-1])}/{_short(sizes[0])}"
    print(
        f"money_growth [{row['backend']}]: median (p95) ms and queries of one run, "
        "by unrelated past payments in the ledger"
    )
    print(
        f"  {'':30}"
        + "".join(f"{size:>24,}" for size in sizes)
        + f"{ratio_label:>10}  within {TARGET_RATIO:g}x"
    )
    above = []
    for index, name in enumerate(OPERATIONS):
        cells = [by_size[index] for by_size in results]
        ratio = cells[-1]["median_ms"] / cells[0]["median_ms"]
        verdict = "yes" if ratio <= TARGET_RATIO else "NO"
        if ratio > TARGET_RATIO:
            above.append(f"{name} {ratio:.2f}x")
        if cells[-1]["queries"] != cells[0]["queries"]:
            verdict += f"; queries {cells[0]['queries']} -> {cells[-1]['queries']}"
        print(
            f"  {name:30}"
            + "".join(
                f"{_ms(c['median_ms']) + ' (' + _ms(c['p95_ms']) + ')':>18}{c['queries']:>5}q"
                for c in cells
            )
            + f"{ratio:>9.2f}x  {verdict}"
        )
    problems = row["problems"]
    verdict = "sound" if not problems else f"BROKEN ({len(problems)} problems)"
    grown = ", ".join(f"{seconds} s" for seconds in row["grown_s"])
    print(
        f"  grown in {grown}; {row['transfers']:,} transfers, {row['entries']:,} entries; "
        f"ledger and payments {verdict} (checked in {row['check_s']} s); "
        f"{row['total_s']} s in all"
    )
    for problem in problems[:10]:
        print(f"    {problem}")
    print(
        "  load average (1 min) after timing each size: "
        + ", ".join(f"{value:g}" for value in row["load"])
        + f" on {row['cores']} cores"
    )
    print(
        f"money_growth [{row['backend']}]: "
        + (
            f"every operation within {TARGET_RATIO:g}x from {sizes[0]:,} to {sizes[-1]:,}"
            if not above
            else f"above {TARGET_RATIO:g}x from {sizes[0]:,} to {sizes[-1]:,}: " + "; ".join(above)
        ),
        flush=True,
    )
    return not problems


def _sizes(text: str) -> list[int]:
    sizes = sorted({int(part.replace("_", "")) for part in text.split(",") if part.strip()})
    if len(sizes) < 2 or sizes[0] < 1:
        raise argparse.ArgumentTypeError("at least two sizes, each at least 1")
    return sizes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=_sizes,
        # A string default goes through `type` too, so a bad BENCH_MONEY_SIZES is a usage error.
        default=os.environ.get("BENCH_MONEY_SIZES", ",".join(map(str, SIZES))),
        help="past payments to time at, comma-separated (default 1000,100000; the target "
        "is judged with 1000,100000,1000000)",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        print(json.dumps(child(args.sizes)))
        return 0

    child_args = ["--sizes", ",".join(map(str, args.sizes))]
    pg_url = os.environ.get("BENCH_DATABASE_URL", "")
    backends = "SQLite" + (" and PostgreSQL" if pg_url else "")
    print(
        f"money_growth: {backends}, at {', '.join(f'{size:,}' for size in args.sizes)} "
        "unrelated past payments (--sizes to change)",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="openlance-bench-money-") as tmp:
        sqlite_url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        sound = report(run_backend(child_args, sqlite_url, tmp))
        if pg_url:
            name = os.environ.get("BENCH_DATABASE_NAME") or f"openlance_bench_money_{os.getpid()}"
            with postgres_database(pg_url, name) as url:
                sound &= report(run_backend(child_args, url, tmp))
        else:
            print("money_growth [postgresql]: skipped (set BENCH_DATABASE_URL to run it)")
    return 0 if sound else 1


if __name__ == "__main__":
    raise SystemExit(main())
