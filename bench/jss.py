r"""How fast is the Job Success Score's computation, and does it stay linear in a
freelancer's history? `reputation.jss.jss_compute` (the pure function the stored score, the
explanation page and its what-ifs all call) timed over many generated freelancers at two
history sizes. Target: at most 1 ms per contract, and about the same per contract at both
sizes (linear).

    .venv/bin/python bench/jss.py                       (make bench: 100,000 x ~10, 10,000 x ~100)
    .venv/bin/python bench/jss.py --freelancers 20000   (a quicker run)

No database and no Django: the function takes plain facts and the policy's parameters
(`JssParams()`, the section 11 defaults both presets ship; a test proves them equal). Each
freelancer's contracts are generated, then only the call is timed (perf_counter around it),
so generating them costs nothing in the figures. A history of ~N contracts is N +/- 50%
contracts over the last three years with 1 to N/2 clients (so some are repeats), a mix of
ended with feedback (public only, or with a recommend score), ended without, running, $0
and disputed, some by flagged clients, earnings from $0 to $20,000. Prints, per size, the
contracts computed, the total time, microseconds per contract and per freelancer, and the
ratio of the per-contract times of the two sizes.

Then the what-if path, as the explanation page runs it for one freelancer: the score
(`jss_compute`) and a what-if for each contract still waiting for its client's feedback
(`jss_what_ifs`: two more computations each), for a history of ~100 contracts plus N
running ones (N = 1, 10, 50 by default; `--running 1,10,100`). Prints milliseconds per
explanation and per what-if; the what-ifs cost about N x (history + N), so the time per
what-if should grow with the history, not with N alone.

Badges: for the same 100,000 freelancers, `reputation.badges.badges_compute` (the pure
function the stored badges, the badges page and the API call) over facts derived from each
generated history and its score: the score, 16 weekly snapshots near it, the first hire,
what each contract paid in the last 12 months, the negative outcomes, and a profile,
verification, activity and hold drawn at random. Prints microseconds per freelancer.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta

from _harness import ROOT

sys.path.insert(0, str(ROOT))

from openlance.reputation.badges import (  # after the path is set
    BadgeFacts,
    BadgeParams,
    ContractEarning,
    badges_compute,
    snapshot_weeks,
)
from openlance.reputation.jss import (
    ClientFeedback,
    ContractFacts,
    JssParams,
    Outcome,
    add_months,
    jss_compute,
    jss_what_ifs,
)

NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)
TARGET_MS_PER_CONTRACT = 1.0


def history(rng: random.Random, size: int) -> list[ContractFacts]:
    count = max(1, round(size * rng.uniform(0.5, 1.5)))
    clients = [rng.randrange(1_000_000) for _ in range(max(1, size // 2))]
    contracts = []
    seen: set[int] = set()
    for contract_id in range(1, count + 1):
        client = rng.choice(clients)
        started = NOW - timedelta(days=rng.uniform(0, 1_100))
        ended_at = None
        if rng.random() < 0.85:
            ended_at = min(NOW, started + timedelta(days=rng.expovariate(1 / 40)))
        feedback = None
        if ended_at is not None and rng.random() < 0.8:
            feedback = ClientFeedback(
                ratings_total=rng.randint(6, 30) if rng.random() < 0.2 else rng.randint(24, 30),
                recommend=rng.randint(0, 10) if rng.random() < 0.7 else None,
                counts=rng.random() > 0.03,
            )
        contracts.append(
            ContractFacts(
                contract_id=contract_id,
                client_id=client,
                started_at=started,
                ended_at=ended_at,
                earned_cents=0 if rng.random() < 0.05 else rng.randint(1_000, 2_000_000),
                is_repeat=client in seen,
                feedback=feedback,
                dispute_against=rng.random() < 0.02,
            )
        )
        seen.add(client)
    return contracts


def with_running(rng: random.Random, size: int, running: int) -> list[ContractFacts]:
    """A history of ~`size` contracts (none waiting for feedback) and `running` running
    contracts that paid something, with new or earlier clients."""
    contracts = [
        facts
        for facts in history(rng, size)
        if facts.feedback is not None or facts.ended_at is not None
    ]
    clients = sorted({facts.client_id for facts in contracts}) or [1]
    seen = set(clients)
    first_id = max((facts.contract_id for facts in contracts), default=0) + 1
    for contract_id in range(first_id, first_id + running):
        client = rng.choice(clients) if rng.random() < 0.3 else rng.randrange(1_000_000)
        contracts.append(
            ContractFacts(
                contract_id=contract_id,
                client_id=client,
                started_at=NOW - timedelta(days=rng.uniform(0, 200)),
                ended_at=None,
                earned_cents=rng.randint(0, 500_000),
                is_repeat=client in seen,
            )
        )
        seen.add(client)
    return contracts


def measure_what_if(explanations: int, size: int, running: int, seed: int) -> dict[str, float]:
    rng = random.Random(seed)  # noqa: S311 (made-up histories, not secrets)
    params = JssParams()
    elapsed = 0.0
    contracts = what_ifs = 0
    for _ in range(explanations):
        facts = with_running(rng, size, running)
        started = time.perf_counter()
        jss_compute(facts, now=NOW, params=params)
        found = jss_what_ifs(facts, now=NOW, params=params)
        elapsed += time.perf_counter() - started
        contracts += len(facts)
        what_ifs += len(found)
    return {
        "explanations": explanations,
        "running": running,
        "contracts": contracts / explanations,
        "what_ifs": what_ifs / explanations,
        "ms_per_explanation": elapsed / explanations * 1e3,
        "ms_per_what_if": elapsed / max(1, what_ifs) * 1e3,
    }


def measure(freelancers: int, size: int, seed: int) -> dict[str, float]:
    rng = random.Random(seed)  # noqa: S311 (made-up histories, not secrets)
    params = JssParams()
    elapsed = 0.0
    contracts = 0
    scored = 0
    for _ in range(freelancers):
        facts = history(rng, size)
        started = time.perf_counter()
        result = jss_compute(facts, now=NOW, params=params)
        elapsed += time.perf_counter() - started
        contracts += len(facts)
        scored += result.score is not None
    return {
        "freelancers": freelancers,
        "size": size,
        "contracts": contracts,
        "seconds": elapsed,
        "us_per_contract": elapsed / contracts * 1e6,
        "us_per_freelancer": elapsed / freelancers * 1e6,
        "scored": scored,
    }


def badge_facts(rng: random.Random, facts: list[ContractFacts], score: int | None) -> BadgeFacts:
    """A freelancer's badge facts as `badges_run_due` reads them, from a generated history
    and its score (negative outcomes counted as the score classes them)."""
    result = jss_compute(facts, now=NOW, params=JssParams())
    since = add_months(NOW, -12)
    weeks = snapshot_weeks(NOW, 16)
    return BadgeFacts(
        jss=score,
        weekly_scores={
            week: None if score is None else max(0, min(100, score + rng.randint(-8, 4)))
            for week in weeks
            if rng.random() < 0.95
        },
        first_hired_at=min((f.started_at for f in facts), default=None),
        contracts=tuple(
            ContractEarning(f.contract_id, f.earned_cents)
            for f in facts
            if f.earned_cents > 0 and (f.ended_at is None or f.ended_at >= since)
        ),
        negative_outcomes=sum(c.outcome == Outcome.NEGATIVE for c in result.contracts),
        profile_percent=rng.choice((60, 80, 90, 100, 100, 100)),
        location_verified=rng.random() < 0.7,
        last_active_at=NOW - timedelta(days=rng.expovariate(1 / 30)),
        on_hold=rng.random() < 0.01,
    )


def measure_badges(freelancers: int, size: int, seed: int) -> dict[str, float]:
    rng = random.Random(seed)  # noqa: S311 (made-up histories, not secrets)
    params = BadgeParams()
    elapsed = 0.0
    held: dict[str, int] = {}
    for _ in range(freelancers):
        contracts = history(rng, size)
        score = jss_compute(contracts, now=NOW, params=JssParams()).score
        facts = badge_facts(rng, contracts, score)
        started = time.perf_counter()
        result = badges_compute(facts, now=NOW, params=params)
        elapsed += time.perf_counter() - started
        for badge in result.held:
            held[badge.value] = held.get(badge.value, 0) + 1
    return {
        "freelancers": freelancers,
        "seconds": elapsed,
        "us_per_freelancer": elapsed / freelancers * 1e6,
        **{f"held_{name}": count for name, count in sorted(held.items())},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--freelancers", type=int, default=100_000, help="at ~10 contracts (default 100,000)"
    )
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument(
        "--running",
        default="1,10,50",
        help="running contracts of the what-if runs, comma-separated (default 1,10,50)",
    )
    parser.add_argument(
        "--explanations", type=int, default=200, help="explanations timed per what-if run"
    )
    args = parser.parse_args()
    small = measure(args.freelancers, 10, args.seed)
    large = measure(max(1, args.freelancers // 10), 100, args.seed + 1)
    print(f"jss_compute, section 11 defaults, Python {sys.version.split()[0]}")
    for run in (small, large):
        print(
            f"  {run['freelancers']:>9,} freelancers x ~{run['size']:<3} contracts: "
            f"{run['contracts']:>10,} contracts in {run['seconds']:6.2f} s = "
            f"{run['us_per_contract']:6.2f} us/contract "
            f"({run['us_per_contract'] / 1000:.4f} ms), "
            f"{run['us_per_freelancer']:8.1f} us/freelancer, "
            f"{run['scored'] / run['freelancers']:.0%} with a score"
        )
    ratio = large["us_per_contract"] / small["us_per_contract"]
    worst = max(small["us_per_contract"], large["us_per_contract"]) / 1000
    verdict = "within" if worst <= TARGET_MS_PER_CONTRACT else "OVER"
    print(
        f"  per-contract time at ~100 / at ~10 contracts: {ratio:.2f} (1.00 is linear); "
        f"worst {worst:.4f} ms/contract, {verdict} the {TARGET_MS_PER_CONTRACT} ms target"
    )
    badges = measure_badges(args.freelancers, 10, args.seed)
    shares = ", ".join(
        f"{name.removeprefix('held_')} {badges[name] / badges['freelancers']:.1%}"
        for name in sorted(badges)
        if name.startswith("held_")
    )
    print("badges_compute (SPEC 12 defaults), the same freelancers' facts")
    print(
        f"  {badges['freelancers']:>9,} freelancers in {badges['seconds']:6.2f} s = "
        f"{badges['us_per_freelancer']:6.2f} us/freelancer (held: {shares})"
    )
    print("what-if path (the explanation: the score, and a what-if per running contract)")
    for index, running in enumerate(int(n) for n in args.running.split(",")):
        run = measure_what_if(args.explanations, 100, running, args.seed + 2 + index)
        print(
            f"  ~{run['contracts']:>5.0f} contracts, {run['what_ifs']:>4.0f} running: "
            f"{run['ms_per_explanation']:8.2f} ms/explanation, "
            f"{run['ms_per_what_if']:6.3f} ms/what-if "
            f"({run['explanations']:,} explanations)"
        )


if __name__ == "__main__":
    main()
