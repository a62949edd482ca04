"""Throughput and latency of `ledger.services.transfer_post`, the one way money moves.

    .venv/bin/python bench/ledger_post.py [--transfers N]      (make bench)

Runs on a throwaway SQLite database in a temporary directory, never on var/. With
BENCH_DATABASE_URL=postgres://user@host:5432/db it also runs on PostgreSQL: it creates a
database named openlance_bench_<pid> on that server (the user needs CREATEDB), and drops it
afterwards; the database named in the URL is only used to connect.

Each backend runs in its own child process (Django's settings are fixed once per process).
Each transfer is one `transaction.atomic()` that locks its accounts, re-reads balances,
writes a transfer, its entries and an outbox event. The mix cycles over 20 clients, three
transfers each: a deposit (gateway clearing -> client funding), funding a contract escrow,
and refunding part of it. Then 200 already-posted keys are replayed (the idempotent path).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from _harness import ROOT, postgres_database, run_child

CLIENTS = 20


def child(transfers: int) -> dict[str, Any]:
    """Set up Django on DATABASE_URL (set by the parent), migrate, post, measure."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openlance.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from openlance.accounts.models import User
    from openlance.ledger.checks import ledger_violations
    from openlance.ledger.models import AccountKind, Transfer
    from openlance.ledger.services import account_for, transfer_post

    call_command("migrate", verbosity=0, interactive=False)
    run = uuid.uuid4().hex[:8]
    clients = [
        User.objects.create_user(
            f"bench-{run}-{i}@example.invalid", None, is_client=True, active_role="client"
        )
        for i in range(CLIENTS)
    ]
    clearing = account_for(kind=AccountKind.GATEWAY_CLEARING)
    funding = [account_for(kind=AccountKind.CLIENT_FUNDING, owner=c) for c in clients]
    escrow = [
        account_for(kind=AccountKind.CONTRACT_ESCROW, reference=f"bench:{run}:{i}")
        for i in range(CLIENTS)
    ]

    # Warm up (connection, statement caches) outside the measurement.
    for i, account in enumerate(funding):
        transfer_post(
            key=f"bench:{run}:warm:{i}",
            kind="deposit",
            description="bench warm-up deposit",
            legs=[(clearing, -1_000_000), (account, 1_000_000)],
        )

    def legs_for(n: int) -> tuple[str, list[tuple[Any, int]]]:
        i = (n // 3) % CLIENTS  # each client: deposit, fund escrow, refund part of it
        if n % 3 == 0:
            return "deposit", [(clearing, -5_000), (funding[i], 5_000)]
        if n % 3 == 1:
            return "escrow.fund", [(funding[i], -2_500), (escrow[i], 2_500)]
        return "escrow.refund", [(escrow[i], -1_000), (funding[i], 1_000)]

    latencies: list[float] = []
    started = time.perf_counter()
    for n in range(transfers):
        kind, legs = legs_for(n)
        t0 = time.perf_counter()
        transfer_post(key=f"bench:{run}:{n}", kind=kind, description="bench", legs=legs)
        latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - started

    # A repeat of an already-posted key is the idempotent fast path: nothing is written.
    replays = min(200, transfers)
    t0 = time.perf_counter()
    for n in range(replays):
        kind, legs = legs_for(n)
        transfer_post(key=f"bench:{run}:{n}", kind=kind, description="bench", legs=legs)
    replay_ms = (time.perf_counter() - t0) / replays * 1000

    problems = ledger_violations()
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "backend": connection.vendor,
        "transfers": transfers,
        "seconds": round(elapsed, 3),
        "per_second": round(transfers / elapsed, 1),
        "p50_ms": round(cuts[49] * 1000, 3),
        "p95_ms": round(cuts[94] * 1000, 3),
        "p99_ms": round(cuts[98] * 1000, 3),
        "max_ms": round(max(latencies) * 1000, 3),
        "replay_ms": round(replay_ms, 3),
        "total_transfers": Transfer.objects.count(),
        "ledger_sound": not problems,
    }


def report(row: dict[str, Any]) -> None:
    print(
        f"ledger_post [{row['backend']}]: {row['transfers']} transfers in {row['seconds']} s "
        f"= {row['per_second']} transfers/s; latency p50 {row['p50_ms']} ms, "
        f"p95 {row['p95_ms']} ms, p99 {row['p99_ms']} ms, max {row['max_ms']} ms; "
        f"idempotent replay {row['replay_ms']} ms; "
        f"ledger {'sound' if row['ledger_sound'] else 'BROKEN'}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--transfers", type=int, default=int(os.environ.get("BENCH_TRANSFERS", 2000))
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.transfers < 10:
        parser.error("--transfers must be at least 10")

    if args.child:
        print(json.dumps(child(args.transfers)))
        return 0

    rows = []
    with tempfile.TemporaryDirectory(prefix="openlance-bench-") as tmp:
        child_args = ["--transfers", str(args.transfers)]
        sqlite_url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        rows.append(run_child(__file__, child_args, sqlite_url, tmp))
        report(rows[-1])
        pg_url = os.environ.get("BENCH_DATABASE_URL", "")
        if pg_url:
            with postgres_database(pg_url, f"openlance_bench_{os.getpid()}") as url:
                rows.append(run_child(__file__, child_args, url, tmp))
            report(rows[-1])
        else:
            print("ledger_post [postgresql]: skipped (set BENCH_DATABASE_URL to run it)")
    return 0 if all(row["ledger_sound"] for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
