r"""Throughput and latency of `ledger.services.transfer_post`, the one way money moves, from
one client process and, on PostgreSQL, from four at once, next to pgbench's TPC-B.

    .venv/bin/python bench/ledger_post.py [--transfers N]      (make bench)
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python bench/ledger_post.py [--transfers N]

Runs on a throwaway SQLite database in a temporary directory, never on var/, with one client
process. With BENCH_DATABASE_URL=postgres://user@host:5432/db it also runs on PostgreSQL with
1 and then 4 client processes: it creates a database named openlance_bench_<pid> on that
server (the user needs CREATEDB) and drops it afterwards; the database named in the URL is
only used to connect.

Django's settings are fixed once per process, so every step is a child process: one migrates,
then each client is a worker process that opens its own accounts, warms up, reports ready and
waits until all its siblings are ready too. Then each posts N transfers (--transfers, per
process), each one `transaction.atomic()` that locks its accounts, re-reads balances, writes
a transfer and its entries (on PostgreSQL in one call of `ledger_transfer_post`). A worker's
mix cycles over 20 clients of its own, three transfers each: a deposit (gateway clearing ->
client funding), funding a contract escrow, and refunding part of it. A deposit takes the
gateway clearing sub-account of its client (`platform_account`), as real deposits do, so the
workers share the 16 clearing sub-accounts rather than one row. Throughput is all transfers
over the wall-clock span from the first worker's start to the last one's end; latency
percentiles are over all transfers. A last child replays the 200 newest keys (the idempotent
path) and checks the ledger's invariants; the run exits non-zero only when the ledger is
unsound.

When pgbench is found (PATH, or /usr/lib/postgresql/*/bin), it initialises TPC-B at scale 10
in a second throwaway database, openlance_bench_pgbench_<pid>, runs it for 10 s right after
the ledger run at the same client count, and prints ledger transfers/s over pgbench tps
for each client count against the target ratio of 0.5. It only prints: a ratio below the
target does not fail the run.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from _harness import ROOT, postgres_database, run_child, start_child

CLIENTS = 20
REPLAYS = 200
PG_CLIENT_COUNTS = (1, 4)
PGBENCH_SCALE = 10
PGBENCH_SECONDS = 10
TARGET_RATIO = 0.5


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openlance.settings")
    import django

    django.setup()


def setup() -> dict[str, Any]:
    """Migrate once, before any worker starts, so workers never race to create tables."""
    _django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    return {}


def worker(transfers: int) -> dict[str, Any]:
    """Open this process's accounts, warm up, wait for the parent's go, then post and time."""
    _django()
    from django.db import connection

    from openlance.accounts.models import User
    from openlance.ledger.models import AccountKind
    from openlance.ledger.services import account_for, platform_account, transfer_post

    run = uuid.uuid4().hex[:8]  # sibling workers' clients, accounts and keys never collide
    clients = [
        User.objects.create_user(
            f"bench-{run}-{i}@example.invalid", None, is_client=True, active_role="client"
        )
        for i in range(CLIENTS)
    ]
    funding = [account_for(kind=AccountKind.CLIENT_FUNDING, owner=c) for c in clients]
    clearing = [platform_account(AccountKind.GATEWAY_CLEARING, spread=c.pk) for c in clients]
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
            legs=[(clearing[i], -1_000_000), (account, 1_000_000)],
        )

    def legs_for(n: int) -> tuple[str, list[tuple[Any, int]]]:
        i = (n // 3) % CLIENTS  # each client: deposit, fund escrow, refund part of it
        if n % 3 == 0:
            return "deposit", [(clearing[i], -5_000), (funding[i], 5_000)]
        if n % 3 == 1:
            return "escrow.fund", [(funding[i], -2_500), (escrow[i], 2_500)]
        return "escrow.refund", [(escrow[i], -1_000), (funding[i], 1_000)]

    print("ready", flush=True)
    sys.stdin.readline()

    latencies: list[float] = []
    # Wall-clock stamps, unlike perf_counter's, compare across the sibling processes.
    started = time.time()
    for n in range(transfers):
        kind, legs = legs_for(n)
        t0 = time.perf_counter()
        transfer_post(key=f"bench:{run}:{n}", kind=kind, description="bench", legs=legs)
        latencies.append(time.perf_counter() - t0)
    finished = time.time()
    return {
        "backend": connection.vendor,
        "started": started,
        "finished": finished,
        "latencies_ms": [round(seconds * 1000, 4) for seconds in latencies],
    }


def check(replays: int) -> dict[str, Any]:
    """Replay the newest transfers' keys with the same legs, then check the invariants."""
    _django()
    from openlance.ledger.checks import ledger_violations
    from openlance.ledger.models import Transfer
    from openlance.ledger.services import transfer_post

    newest = Transfer.objects.order_by("-pk").prefetch_related("entries__account")[:replays]
    posted = [(t, [(e.account, e.amount_cents) for e in t.entries.all()]) for t in newest]
    t0 = time.perf_counter()
    for transfer, legs in posted:
        transfer_post(
            key=transfer.idempotency_key,
            kind=transfer.kind,
            description=transfer.description,
            legs=legs,
        )
    replay_ms = (time.perf_counter() - t0) / len(posted) * 1000
    return {
        "replay_ms": round(replay_ms, 3),
        "total_transfers": Transfer.objects.count(),
        "problems": ledger_violations(),
    }


def measure(url: str, processes: int, transfers: int, tmp: str) -> dict[str, Any]:
    """Start `processes` workers, let them go together once all are warm, and aggregate."""
    args = ["worker", "--transfers", str(transfers)]
    with ExitStack() as stack:
        errors = [stack.enter_context(tempfile.TemporaryFile("w+")) for _ in range(processes)]
        workers = [start_child(__file__, args, url, tmp, err) for err in errors]
        try:
            for proc, err in zip(workers, errors, strict=True):
                assert proc.stdout is not None
                line = proc.stdout.readline()
                if line.strip() != "ready":
                    proc.kill()
                    _worker_failed(line + proc.communicate()[0], err, url)
            for proc in workers:
                assert proc.stdin is not None
                proc.stdin.write("go\n")
                proc.stdin.flush()
            results = []
            for proc, err in zip(workers, errors, strict=True):
                out, _ = proc.communicate()
                if proc.returncode != 0:
                    _worker_failed(out, err, url)
                results.append(json.loads(out.strip().splitlines()[-1]))
        finally:
            for proc in workers:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()

    seconds = max(r["finished"] for r in results) - min(r["started"] for r in results)
    latencies = [ms for r in results for ms in r["latencies_ms"]]
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "backend": results[0]["backend"],
        "processes": processes,
        "transfers": transfers,
        "seconds": round(seconds, 3),
        "per_second": round(len(latencies) / seconds, 1),
        "p50_ms": round(cuts[49], 3),
        "p95_ms": round(cuts[94], 3),
        "p99_ms": round(cuts[98], 3),
        "max_ms": round(max(latencies), 3),
    }


def _worker_failed(out: str, err: IO[str], url: str) -> None:
    err.seek(0)
    sys.stderr.write(out + err.read())
    raise SystemExit(f"bench worker failed on {urlsplit(url).scheme}")


def find_pgbench() -> str | None:
    """pgbench on PATH, else from a Debian-style install (any version can drive any server)."""
    installed = sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"))
    return shutil.which("pgbench") or (installed[-1] if installed else None)


def pgbench(binary: str, url: str, args: list[str]) -> str | None:
    """pgbench's output, or None (after showing why) when it fails: a benchmark tool that
    cannot run costs us the comparison, not the ledger figures."""
    parts = urlsplit(url)
    env = dict(os.environ)
    if parts.password:
        env["PGPASSWORD"] = parts.password
    command = [binary, "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)]
    if parts.username:
        command += ["-U", parts.username]
    result = subprocess.run(  # noqa: S603 (pgbench, with arguments we built)
        [*command, *args, parts.path.lstrip("/")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        print(f"pgbench {' '.join(args)} failed:\n{result.stderr.strip()}")
        return None
    return result.stdout


def pgbench_tps(binary: str, url: str, clients: int) -> float | None:
    args = ["-c", str(clients), "-j", str(clients), "-T", str(PGBENCH_SECONDS)]
    out = pgbench(binary, url, args)
    found = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out or "")
    if found is None:
        if out is not None:
            print(f"pgbench {' '.join(args)}: no tps line in its output:\n{out.strip()}")
        return None
    tps = float(found.group(1))
    print(f"pgbench [TPC-B, scale {PGBENCH_SCALE}, -c {clients}]: {tps:.1f} tps")
    return tps


def report(row: dict[str, Any]) -> None:
    print(
        f"ledger_post [{row['backend']}, {row['processes']} x {row['transfers']} transfers]: "
        f"{row['seconds']} s = {row['per_second']} transfers/s; latency p50 {row['p50_ms']} ms, "
        f"p95 {row['p95_ms']} ms, p99 {row['p99_ms']} ms, max {row['max_ms']} ms"
    )


def report_check(backend: str, row: dict[str, Any]) -> bool:
    problems = row["problems"]
    verdict = "sound" if not problems else f"BROKEN ({len(problems)} problems)"
    print(
        f"ledger_post [{backend}]: idempotent replay {row['replay_ms']} ms; "
        f"{row['total_transfers']} transfers in all; ledger {verdict}"
    )
    for problem in problems[:10]:
        print(f"  {problem}")
    return not problems


def run_postgres(server_url: str, transfers: int, tmp: str) -> bool:
    """The ledger at each client count, each followed by pgbench at that count; then the
    replay and the invariants once, and the ratios. True when the ledger is sound."""
    binary = find_pgbench()
    if binary is None:
        print("pgbench: not found on PATH or in /usr/lib/postgresql/*/bin; no comparison")
    bench_url = ""
    ratios = {}
    with ExitStack() as stack:
        url = stack.enter_context(postgres_database(server_url, f"openlance_bench_{os.getpid()}"))
        run_child(__file__, ["setup"], url, tmp)
        if binary is not None:
            bench_url = stack.enter_context(
                postgres_database(server_url, f"openlance_bench_pgbench_{os.getpid()}")
            )
            if pgbench(binary, bench_url, ["-i", "-s", str(PGBENCH_SCALE)]) is None:
                binary = None
        for processes in PG_CLIENT_COUNTS:
            row = measure(url, processes, transfers, tmp)
            report(row)
            tps = pgbench_tps(binary, bench_url, processes) if binary is not None else None
            if tps:
                ratios[processes] = row["per_second"] / tps
        sound = report_check("postgresql", run_child(__file__, ["check"], url, tmp))
    for processes, ratio in ratios.items():
        verdict = "meets" if ratio >= TARGET_RATIO else "below"
        print(
            f"ledger_post / pgbench [-c {processes}]: {ratio:.2f} "
            f"({verdict} the target >= {TARGET_RATIO})"
        )
    return sound


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--transfers",
        type=int,
        default=int(os.environ.get("BENCH_TRANSFERS", 2000)),
        help="transfers per client process (default 2000)",
    )
    parser.add_argument("--child", choices=["setup", "worker", "check"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.transfers < 10:
        parser.error("--transfers must be at least 10")

    if args.child == "setup":
        print(json.dumps(setup()))
        return 0
    if args.child == "worker":
        print(json.dumps(worker(args.transfers)))
        return 0
    if args.child == "check":
        print(json.dumps(check(REPLAYS)))
        return 0

    with tempfile.TemporaryDirectory(prefix="openlance-bench-") as tmp:
        sqlite_url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        run_child(__file__, ["setup"], sqlite_url, tmp)
        report(measure(sqlite_url, 1, args.transfers, tmp))
        sound = report_check("sqlite", run_child(__file__, ["check"], sqlite_url, tmp))
        pg_url = os.environ.get("BENCH_DATABASE_URL", "")
        if pg_url:
            sound &= run_postgres(pg_url, args.transfers, tmp)
        else:
            print("ledger_post [postgresql]: skipped (set BENCH_DATABASE_URL to run it)")
    return 0 if sound else 1


if __name__ == "__main__":
    raise SystemExit(main())
