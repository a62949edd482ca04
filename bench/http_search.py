"""Requests a second under load: search, job detail and the search page served as in
production, beside a bare Django view on the same data.

    .venv/bin/python bench/http_search.py [--seconds 20] [--connections 8]   (make bench-http)

In a throwaway directory (gates/_harness.py: DEBUG off, a random SECRET_KEY, SQLite, no
Redis) it migrates, collects the static files and loads the small demo, then serves that
database twice as the Procfile's web line does (gunicorn openlance.wsgi, 2 workers, on a
free port of 127.0.0.1): as the site, and with bench/_http_reference.py as its settings, a
bare view that returns the 20 newest open posts' id and title as JSON. wrk (Debian's
package: `apt-get install wrk`, which `make bench-http` runs when it is missing) drives one
URL at a time with --connections connections for --seconds, after --warmup seconds
unmeasured (BENCH_HTTP_CONNECTIONS and BENCH_HTTP_SECONDS change the defaults, also for
`make bench`). The measured seconds are cut into --rounds rounds, each of which drives every
URL in turn, so a URL and the reference are measured minutes apart at most: on a shared
machine the speed of both drifts by more than a change being measured, and a ratio taken
within a round cancels what they share. This prints each URL's requests a second, p50 and
p95 latency (medians over the rounds) and its requests a second as a multiple of the
reference's in the same round (the median, and the lowest and highest), beside the targets
of issue 16. Search
and job detail are public: every request is anonymous. Figures are printed, never
asserted; an answer other than 200, a socket error or an error in a server's log fails the
run (its figures would mean nothing). BENCH_KEEP=1 keeps the directory (the servers' logs).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
from _harness import Gate, GateError, errors_in, markdown_table

# wrk's summary as one JSON line, latencies in microseconds (wrk prints no p95 itself).
WRK_REPORT = """
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'WRK-RESULT {"requests": %d, "seconds": %.3f, "p50_us": %.0f, "p95_us": %.0f, '
    .. '"socket_errors": %d, "non_2xx": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50),
    latency:percentile(95), errors.connect + errors.read + errors.write + errors.timeout,
    errors.status))
end
"""
QUERY = "writing"
NO_MATCH = "zzyzx"


@dataclass(frozen=True)
class Target:
    label: str
    path: str
    at_least: float | None  # of the reference's requests a second (issue 16)
    on_reference: bool = False


@dataclass(frozen=True)
class Figures:
    requests_per_s: float
    p50_ms: float
    p95_ms: float
    failures: str  # empty when every request was answered 200


def drive(url: str, *, seconds: int, connections: int, script: Path) -> Figures:
    """wrk on `url` for `seconds` with `connections` connections (one thread: the servers
    need the cores)."""
    command = [
        "wrk",
        "--threads",
        "1",
        "--connections",
        str(connections),
        "--duration",
        f"{seconds}s",
        "--timeout",
        "10s",
        "--script",
        str(script),
        url,
    ]
    done = subprocess.run(  # noqa: S603 (fixed arguments, a URL of ours)
        command, capture_output=True, text=True, timeout=seconds + 60, check=True
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("WRK-RESULT ")]
    if not lines:
        raise GateError(f"wrk printed no result for {url}:\n{done.stdout}{done.stderr}")
    result = json.loads(lines[-1].removeprefix("WRK-RESULT "))
    failures = ", ".join(
        f"{result[key]} {what}"
        for key, what in (("non_2xx", "non-2xx answers"), ("socket_errors", "socket errors"))
        if result[key]
    )
    return Figures(
        requests_per_s=result["requests"] / result["seconds"],
        p50_ms=result["p50_us"] / 1000,
        p95_ms=result["p95_us"] / 1000,
        failures=failures,
    )


def _cut(ratio: float) -> float:
    """Cut to two decimals, not rounded: 0.497x is shown as 0.49x, as it is judged."""
    return math.floor(ratio * 100 + 1e-9) / 100


def check(client: httpx.Client, url: str) -> httpx.Response:
    """One GET that must answer 200, before the load."""
    response = client.get(url)
    if response.status_code != 200:
        raise GateError(f"GET {url} answered {response.status_code}:\n{response.text[:2000]}")
    return response


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    seconds = int(os.environ.get("BENCH_HTTP_SECONDS", 20))
    connections = int(os.environ.get("BENCH_HTTP_CONNECTIONS", 8))
    parser.add_argument("--seconds", type=int, default=seconds, help="measured, per URL")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured, per URL")
    parser.add_argument("--connections", type=int, default=connections)
    parser.add_argument("--rounds", type=int, default=4, help="the measured seconds cut in")
    args = parser.parse_args()
    if not 1 <= args.rounds <= args.seconds:
        parser.error("--rounds must be between 1 and --seconds")
    if shutil.which("wrk") is None:
        raise SystemExit("bench/http_search.py needs wrk: apt-get install wrk")

    # Setup (the small demo) takes a minute or two; then six URLs are driven in turn.
    budget = 900 + 6 * (args.seconds + args.warmup + 60 * args.rounds)
    with Gate("bench-http", keep_var="BENCH_KEEP", budget=budget) as gate:
        gate.load_demo("small")
        reference = gate.web(
            "reference",
            workers=2,
            options=["--env", "DJANGO_SETTINGS_MODULE=bench._http_reference"],
        )
        site = gate.web("site", workers=2)
        reference.wait_http("/reference/jobs")
        site.wait_http("/api/v1/policies")
        with httpx.Client(timeout=30, trust_env=False) as client:
            jobs = check(client, f"{reference.url}/reference/jobs").json()["items"]
            if not jobs:
                raise GateError("the demo has no open public post")
            targets = [
                Target("reference: 20 open posts as JSON", "/reference/jobs", None, True),
                Target("API job search", f"/api/v1/search/jobs?q={QUERY}", 0.5),
                Target("API freelancer search", f"/api/v1/search/freelancers?q={QUERY}", 0.5),
                Target("API job detail", f"/api/v1/jobs/{jobs[0]['id']}", 0.8),
                Target("HTML job search page", f"/search/jobs/?q={QUERY}", 0.35),
                # The same page with no result: what a page costs before any card is drawn.
                Target("HTML job search page, no match", f"/search/jobs/?q={NO_MATCH}", None),
            ]
            for target in targets[1:]:
                response = check(client, site.url + target.path)
                if "/search/" in target.path and "/api/" in target.path:
                    gate.log(f"{target.path}: {response.json()['count']} results")
                if NO_MATCH in target.path and "No jobs match" not in response.text:
                    raise GateError(f"GET {target.path} found something: no baseline")

        script = gate.dir / "wrk-report.lua"
        script.write_text(WRK_REPORT)
        for target in targets:
            server = reference if target.on_reference else site
            drive(
                server.url + target.path,
                seconds=args.warmup,
                connections=args.connections,
                script=script,
            )
        rounds: list[list[Figures]] = []  # [round][target]
        for number in range(args.rounds):
            measured_round = []
            for target in targets:
                server = reference if target.on_reference else site
                measured_round.append(
                    drive(
                        server.url + target.path,
                        seconds=args.seconds // args.rounds,
                        connections=args.connections,
                        script=script,
                    )
                )
            rounds.append(measured_round)
            gate.log(
                f"round {number + 1}: "
                + ", ".join(f"{figures.requests_per_s:.1f}" for figures in measured_round)
                + " req/s"
            )

        rows = []
        for index, target in enumerate(targets):
            runs = [measured_round[index] for measured_round in rounds]
            ratios = [
                measured_round[index].requests_per_s / measured_round[0].requests_per_s
                for measured_round in rounds
            ]
            ratio = statistics.median(ratios)
            verdict = (
                ""
                if target.at_least is None
                else f"≥ {target.at_least:.2f}x: "
                + ("met" if _cut(ratio) >= target.at_least else "not met")
            )
            rows.append(
                [
                    target.label,
                    f"GET {target.path}",
                    f"{statistics.median(run.requests_per_s for run in runs):.1f}",
                    f"{statistics.median(run.p50_ms for run in runs):.1f}",
                    f"{statistics.median(run.p95_ms for run in runs):.1f}",
                    f"{_cut(ratio):.2f}x ({_cut(min(ratios)):.2f} to {_cut(max(ratios)):.2f})",
                    verdict,
                ]
            )
        print(
            f"http [sqlite, small demo; gunicorn as in the Procfile, 2 workers; wrk, "
            f"{args.connections} connections, {args.seconds} s a URL in {args.rounds} rounds "
            f"after {args.warmup} s of warm-up]:"
        )
        header = [
            "",
            "request",
            "req/s",
            "p50 ms",
            "p95 ms",
            "of reference (lowest to highest round)",
            "target",
        ]
        for line in markdown_table(header, rows):
            print(f"  {line}")

        failed = [
            f"GET {target.path}: {measured.failures}"
            for measured_round in rounds
            for target, measured in zip(targets, measured_round, strict=True)
            if measured.failures
        ]
        failed += [
            f"{server.name} logged:\n{error}"
            for server in (reference, site)
            for error in errors_in(server.log)
        ]
        if failed:
            print("bench-http: the figures above are not to be trusted:", *failed, sep="\n")
            return 1
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except GateError as error:
        print(f"bench-http: {error}", file=sys.stderr)
        raise SystemExit(1) from None
