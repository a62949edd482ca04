"""Production-like load gate (issue 11): PostgreSQL + Redis, two gunicorn processes and two
Huey consumers, a bounded mixed load from several users at once, then the money is checked.

    .venv/bin/python gates/load.py            (or: make load; LOAD_SECONDS=120 by default)

What it does, every step bounded in time, everything on 127.0.0.1, in a throwaway directory
(gates/_harness.py):

1. creates a fresh PostgreSQL database `openlance_load_<pid>` (dropped at exit), uses
   `REDIS_URL` = `LOAD_REDIS_URL` (default redis://127.0.0.1:6379/7; that database number is
   flushed at start and at exit, so give each concurrent run its own), `DEBUG` off with a
   generated `SECRET_KEY`;
2. `migrate`, `collectstatic`, `demo_load` (`LOAD_DEMO_SCALE`: full, or small for a quick
   run), then (`--setup` mode) delivers the demo's outbox backlog as the worker would and
   picks the demo users to act as: 16 freelancers (those with money to withdraw first) and
   clients 01-10 (01-04 have a balance), each given a personal access token;
3. starts two gunicorn masters as in the Procfile, on two free ports, with one sync worker
   each (two serving processes; requests are spread over both as a load balancer would),
   and two Huey consumers as in the Procfile (one with the periodic tasks, one
   `--no-periodic`). Each is its own process group, stopped at exit (also on SIGINT,
   SIGTERM, and the SIGALRM that ends the run's time budget);
4. drives `LOAD_SECONDS` of mixed load from concurrent virtual users (threads, httpx):
   visitors browsing pages and searching the API; freelancers searching, proposing (Connects
   spent, bundles bought when short), reading their wallet, offers, contracts, and
   withdrawing available money (payouts); clients running the whole hire: post a job, the
   freelancer proposes, an offer from the proposal (or a direct one), accepted, each milestone
   funded (balance or card, deposits by card), submitted, changes requested now and then,
   approved (release; sometimes partial with a refund), the contract ended; with deliberate
   double clicks (two funds or two approves at once, idempotent replays) whose outcome is
   checked; and a signed-in browser using the HTML pages with a session;
5. records every response (count by endpoint and status, p50/p95 latency); any 5xx fails,
   any status a flow did not expect fails (printed with the request and the body); expected
   refusals (a race lost: 409 with its problem code, a 429 rate limit, a declined test card)
   are counted and listed;
6. waits for the Huey queue and the outbox to drain (`--drain` mode), runs
   `manage.py ledger_check` (must be clean), scans the server and worker logs for
   tracebacks and 500s (any fails), and prints one summary line.

Environment: LOAD_SECONDS (120), LOAD_SEED (random), LOAD_PG_URL (server to create the
database on, postgres://postgres@127.0.0.1:5432/postgres), LOAD_REDIS_URL, LOAD_CLIENTS /
LOAD_FREELANCERS / LOAD_VISITORS / LOAD_BROWSERS (virtual users of each kind: 3, 3, 2, 1),
LOAD_DEMO_SCALE (full), LOAD_KEEP=1 (keep the throwaway directory: the logs).
Exit status 0 only when everything above held.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import statistics
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from random import Random
from typing import Any
from urllib.parse import urlsplit

import httpx
from _harness import (
    PYTHON,
    Gate,
    GateError,
    emit,
    env_int,
    errors_in,
    postgres_database,
    result,
)

from openlance.core.money import Money

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
REQUEST_TIMEOUT = 30.0  # seconds; gunicorn's own worker timeout is 30 s too
SETUP_TIMEOUT = 900  # migrate, collectstatic, the demo, the tokens
DRAIN_TIMEOUT = 150  # for the queue and the outbox to drain after the load
CHECK_TIMEOUT = 300  # ledger_check


def _local(url: str, what: str) -> None:
    host = urlsplit(url).hostname or ""
    if host not in LOCAL_HOSTS:
        raise SystemExit(f"load: {what} must be on 127.0.0.1, not {host!r} ({url})")


def _flush_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=10)
    try:
        client.flushdb()
    finally:
        client.close()


# --- recording ---------------------------------------------------------------------------


@dataclass
class Recorder:
    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    expected: Counter[tuple[str, int, str]] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    transport: list[str] = field(default_factory=list)
    flows: Counter[tuple[str, str]] = field(default_factory=Counter)
    money: Counter[str] = field(default_factory=Counter)
    cents: Counter[str] = field(default_factory=Counter)

    def sample(self, name: str, status: int, ms: float) -> None:
        with self.lock:
            self.latencies[name].append(ms)
            self.statuses[(name, status)] += 1

    def refusal(self, name: str, status: int, code: str) -> None:
        with self.lock:
            self.expected[(name, status, code)] += 1

    def problem(self, kind: list[str], text: str) -> None:
        with self.lock:
            kind.append(text)

    def flow(self, name: str, outcome: str) -> None:
        with self.lock:
            self.flows[(name, outcome)] += 1

    def moved(self, what: str, cents: int = 0) -> None:
        with self.lock:
            self.money[what] += 1
            self.cents[what] += cents


class FlowStop(Exception):
    """The flow cannot go on: a failure already recorded, or the time is up."""


def _problem_code(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("code", "")) if isinstance(body, dict) else ""


def _excerpt(response: httpx.Response, limit: int = 1500) -> str:
    text = response.text
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


# An expected refusal: (status, problem code) or (status, "") for any code.
Refusals = Iterable[tuple[int, str]]


class Http:
    """One virtual user's HTTP client (a token or cookies), each request sent to one of the
    gunicorn ports at random, as a load balancer would."""

    def __init__(self, run: LoadRun, rng: Random, token: str | None = None) -> None:
        self.run = run
        self.rng = rng
        headers = {"User-Agent": "openlance-load-gate"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        # The run's connection pool: a client with a pool of its own would build an SSL
        # context (tens of ms of CPU, on the cores the servers need) for plain HTTP.
        self.session = httpx.Client(
            transport=run.transport, headers=headers, timeout=REQUEST_TIMEOUT, trust_env=False
        )

    def call(
        self,
        method: str,
        path: str,
        name: str,
        *,
        ok: Sequence[int] = (200,),
        refusals: Refusals = (),
        key: str | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send; record; return the response when its status is `ok` or an expected
        refusal. Anything else (a 5xx, an unexpected 4xx, no answer) is recorded as a
        failure and stops the flow."""
        if self.run.over():
            raise FlowStop("time")
        base = self.rng.choice(self.run.bases)
        headers = dict(kwargs.pop("headers", {}) or {})
        if key is not None:
            headers["Idempotency-Key"] = key
        label = f"{method} {name}"
        began = time.perf_counter()
        try:
            response = self.session.request(method, base + path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            self.run.rec.sample(label, 0, (time.perf_counter() - began) * 1000)
            self.run.rec.problem(self.run.rec.transport, f"{method} {base}{path}: {exc!r}")
            raise FlowStop("transport") from exc
        self.run.rec.sample(label, response.status_code, (time.perf_counter() - began) * 1000)
        status = response.status_code
        if status in ok:
            return response
        code = _problem_code(response)
        for want_status, want_code in refusals:
            if status == want_status and want_code in ("", code):
                self.run.rec.refusal(label, status, code)
                return response
        query = kwargs.get("params")
        where = f"{method} {base}{path}" + (f" params={query}" if query else "")
        sent = kwargs.get("json", kwargs.get("data"))
        report = f"{where} -> {status}\n  sent: {sent!r}\n  body: {_excerpt(response)}"
        kind = self.run.rec.server_errors if status >= 500 else self.run.rec.unexpected
        self.run.rec.problem(kind, report)
        raise FlowStop(f"{status}")

    def json(self, method: str, path: str, name: str, **kwargs: Any) -> Any:
        return self.call(method, path, name, **kwargs).json()


# --- the actors and what they know ---------------------------------------------------------


@dataclass
class Actor:
    user_id: int
    email: str
    password: str
    token: str
    role: str
    funding_cents: int = 0  # a client's balance at the start
    withdraws: bool = False  # a freelancer with available money and a usable method


@dataclass
class World:
    clients: list[Actor]
    freelancers: list[Actor]
    job_ids: list[int]
    freelancer_ids: list[int]
    client_ids: list[int]
    categories: list[str] = field(default_factory=list)


SEARCH_WORDS = [
    "writing",
    "content",
    "python",
    "design",
    "logo",
    "marketing",
    "seo",
    "react",
    "data",
    "video",
    "translation",
    "wordpress",
    "mobile app",
    "accounting",
    "",
]


class LoadRun:
    def __init__(self, world: World, bases: list[str], seconds: int, seed: int) -> None:
        self.world = world
        self.bases = bases
        self.seconds = seconds
        self.seed = seed
        self.rec = Recorder()
        self.began = 0.0
        self.deadline = 0.0
        self.stop = threading.Event()
        self.local = threading.local()
        self.transport = httpx.HTTPTransport()

    def over(self) -> bool:
        return self.stop.is_set() or time.monotonic() >= self.deadline

    def http_for(self, actor: Actor, rng: Random) -> Http:
        """This thread's session for `actor` (threads never share a session)."""
        cache: dict[int, Http] = self.local.__dict__.setdefault("sessions", {})
        if actor.user_id not in cache:
            cache[actor.user_id] = Http(self, rng, actor.token)
        return cache[actor.user_id]

    def execute(self, threads: list[tuple[str, Callable[[LoadRun, Random], None]]]) -> None:
        self.began = time.monotonic()
        self.deadline = self.began + self.seconds
        workers = []
        for index, (name, body) in enumerate(threads):
            rng = Random(self.seed * 1000 + index)  # noqa: S311 (load shapes, not secrets)
            worker = threading.Thread(
                target=self._user, args=(name, body, rng), name=name, daemon=True
            )
            workers.append(worker)
            worker.start()
        for worker in workers:
            # A request in flight at the deadline ends within its timeout.
            worker.join(timeout=max(1.0, self.deadline - time.monotonic()) + REQUEST_TIMEOUT + 5)
        self.stop.set()
        stuck = [w.name for w in workers if w.is_alive()]
        if stuck:
            self.rec.problem(self.rec.transport, f"virtual users did not stop: {stuck}")

    def _user(self, name: str, body: Callable[[LoadRun, Random], None], rng: Random) -> None:
        while not self.over():
            try:
                body(self, rng)
            except FlowStop:
                pass
            except Exception as exc:  # a bug in this script: say so, and stop this user
                self.rec.problem(self.rec.unexpected, f"{name}: load script error {exc!r}")
                return


def _flow(run: LoadRun, name: str, steps: Callable[[], None]) -> None:
    run.rec.flow(name, "started")
    try:
        steps()
    except FlowStop as stop:
        run.rec.flow(name, "cut by deadline" if str(stop) == "time" else "failed")
        raise
    run.rec.flow(name, "completed")


def _money(cents: int) -> dict[str, str]:
    """The API's money object."""
    money = Money(cents)
    return {"amount": money.amount, "currency": money.currency}


def _cents(money: dict[str, Any]) -> int:
    return Money.parse(money["amount"], money["currency"]).cents


def _think(rng: Random, low: float = 0.02, high: float = 0.25) -> None:
    time.sleep(rng.uniform(low, high))


# --- visitors: pages and public API ------------------------------------------------------


def visitor(run: LoadRun, rng: Random) -> None:
    http = run.local.__dict__.get("anon") or Http(run, rng)
    run.local.anon = http
    w = run.world
    word = rng.choice(SEARCH_WORDS)
    pages: list[tuple[str, str, dict[str, Any]]] = [
        ("/", "/", {}),
        ("/search/jobs/", "/search/jobs/", {"params": {"q": word}}),
        ("/search/freelancers/", "/search/freelancers/", {"params": {"q": word}}),
        (f"/jobs/{rng.choice(w.job_ids)}/", "/jobs/{id}/", {}),
        (f"/freelancers/{rng.choice(w.freelancer_ids)}/", "/freelancers/{id}/", {}),
        (f"/clients/{rng.choice(w.client_ids)}/", "/clients/{id}/", {}),
        ("/api/v1/search/jobs", "/api/v1/search/jobs", {"params": {"q": word, "page_size": 20}}),
        (
            "/api/v1/search/freelancers",
            "/api/v1/search/freelancers",
            {"params": {"q": word, "page_size": 20}},
        ),
        (f"/api/v1/jobs/{rng.choice(w.job_ids)}", "/api/v1/jobs/{id}", {}),
        (f"/api/v1/freelancers/{rng.choice(w.freelancer_ids)}", "/api/v1/freelancers/{id}", {}),
        (f"/api/v1/clients/{rng.choice(w.client_ids)}", "/api/v1/clients/{id}", {}),
        ("/policies/", "/policies/", {}),
        ("/fees/", "/fees/", {}),
        (
            "/api/v1/fees/quote",
            "/api/v1/fees/quote",
            {"params": {"amount": f"{rng.randint(5, 5000)}.00"}},
        ),
        ("/api/v1/policies", "/api/v1/policies", {}),
        ("/static/web/htmx.min.js", "/static/…", {}),
    ]
    weights = [6, 8, 8, 10, 8, 3, 10, 10, 6, 5, 2, 1, 1, 2, 1, 2]
    path, name, kwargs = rng.choices(pages, weights)[0]
    response = http.call("GET", path, name, **kwargs)
    if name == "/api/v1/search/jobs" and rng.random() < 0.5:
        items = response.json()["items"]
        if items:  # open a hit, as a reader would
            job = rng.choice(items)["job"]
            http.call("GET", f"/jobs/{job['id']}/", "/jobs/{id}/")
    _think(rng)


# --- freelancers -------------------------------------------------------------------------


def freelancer(run: LoadRun, rng: Random) -> None:
    w = run.world
    withdrawers = [f for f in w.freelancers if f.withdraws]
    roll = rng.random()
    if roll < 0.22 and withdrawers:
        actor = rng.choice(withdrawers)
        _flow(run, "withdraw", lambda: withdraw(run, rng, actor))
    elif roll < 0.55:
        actor = rng.choice(w.freelancers)
        _flow(run, "propose to an open post", lambda: propose_open(run, rng, actor))
    else:
        actor = rng.choice(w.freelancers)
        _flow(run, "freelancer reads", lambda: freelancer_reads(run, rng, actor))
    _think(rng)


def freelancer_reads(run: LoadRun, rng: Random, actor: Actor) -> None:
    http = run.http_for(actor, rng)
    http.call("GET", "/api/v1/me", "/api/v1/me")
    http.call("GET", "/api/v1/wallet", "/api/v1/wallet")
    choice = rng.randrange(6)
    if choice == 0:
        http.call("GET", "/api/v1/proposals", "/api/v1/proposals")
    elif choice == 1:
        http.call("GET", "/api/v1/offers", "/api/v1/offers", params={"role": "freelancer"})
    elif choice == 2:
        page = http.json("GET", "/api/v1/contracts", "/api/v1/contracts")
        if page["items"]:
            contract = rng.choice(page["items"])
            http.call("GET", f"/api/v1/contracts/{contract['id']}", "/api/v1/contracts/{id}")
    elif choice == 3:
        http.call("GET", "/api/v1/wallet/transactions", "/api/v1/wallet/transactions")
    elif choice == 4:
        http.call("GET", "/api/v1/connects/history", "/api/v1/connects/history")
    else:
        http.call("GET", "/api/v1/invitations", "/api/v1/invitations")


def ensure_connects(run: LoadRun, rng: Random, http: Http, need: int) -> bool:
    """Buy the smallest bundle that covers `need` when the balance is short."""
    summary = http.json("GET", "/api/v1/connects", "/api/v1/connects")
    if summary["balance"] >= need:
        return True
    sizes = sorted(b["connects"] for b in summary["bundles"])
    size = next((s for s in sizes if summary["balance"] + s >= need), sizes[-1])
    response = http.call(
        "POST",
        "/api/v1/connects/purchases",
        "/api/v1/connects/purchases",
        ok=(201,),
        key=uuid.uuid4().hex,
        json={"bundle": size, "payment_method": "pm_card_visa"},
    )
    run.rec.moved("Connects purchases", _cents(response.json()["price"]))
    return response.json()["balance"] >= need


def _proposal_body(job: dict[str, Any], rng: Random, cost: int | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "cover_letter": "I have done this kind of work many times; here is how I would start. "
        * rng.randint(1, 3),
        "bid_type": job["budget_type"],
        "duration": "less_than_1_month",
        "answers": [f"My answer to: {q['text'][:60]}" for q in job["questions"]],
    }
    if job["budget_type"] == "fixed":
        budget = _cents(job["budget"]) if job.get("budget") else 10_000
        body["bid"] = _money(max(500, budget - rng.randint(0, budget // 10)))
    else:
        top = _cents(job["hourly_max"]) if job.get("hourly_max") else 4_000
        body["hourly_rate"] = _money(max(300, top - rng.randint(0, 500)))
    if cost is not None:
        body["expected_cost"] = cost
    return body


# Refusals a proposal may meet in a busy marketplace: the post was closed meanwhile (409
# invalid_transition), the freelancer already proposed to it from another tab (409
# conflict), ran out of Connects to a concurrent spend (409 not_enough_connects), or sends
# too fast (429).
PROPOSAL_REFUSALS = [
    (409, "conflict"),
    (409, "invalid_transition"),
    (409, "not_enough_connects"),
    (429, "rate_limited"),
]


def propose_open(run: LoadRun, rng: Random, actor: Actor) -> None:
    http = run.http_for(actor, rng)
    params = {"q": rng.choice(SEARCH_WORDS), "page_size": 20, "page": rng.randint(1, 3)}
    hits = http.json("GET", "/api/v1/search/jobs", "/api/v1/search/jobs", params=params)
    candidates = [h["job"] for h in hits["items"] if h["can_propose_from_your_location"]]
    if not candidates:
        return
    job = rng.choice(candidates)
    job_id = job["id"]
    http.call("GET", f"/api/v1/jobs/{job_id}", "/api/v1/jobs/{id}")
    quote = http.json(
        "GET", f"/api/v1/jobs/{job_id}/proposal-cost", "/api/v1/jobs/{id}/proposal-cost"
    )
    if not quote["affordable"] and not ensure_connects(run, rng, http, quote["cost"]):
        return
    response = http.call(
        "POST",
        f"/api/v1/jobs/{job_id}/proposals",
        "/api/v1/jobs/{id}/proposals",
        ok=(201,),
        refusals=PROPOSAL_REFUSALS,
        json=_proposal_body(job, rng, quote["cost"]),
    )
    if response.status_code == 201:
        run.rec.moved("proposals (Connects spent)", 0)


def withdraw(run: LoadRun, rng: Random, actor: Actor) -> None:
    http = run.http_for(actor, rng)
    methods = http.json("GET", "/api/v1/payouts/methods", "/api/v1/payouts/methods")
    method = next((m for m in methods if m["is_default"] and m["usable"]), None)
    wallet = http.json("GET", "/api/v1/wallet", "/api/v1/wallet")
    if method is None:
        return
    fee = _cents(method["fee"])
    available = _cents(wallet["available"])
    if available <= fee + 100:
        http.call("GET", "/api/v1/payouts", "/api/v1/payouts")
        return
    amount = min(available, fee + rng.randint(100, 4_000))
    key = uuid.uuid4().hex
    body = {"amount": _money(amount)}
    response = http.call(
        "POST",
        "/api/v1/payouts",
        "/api/v1/payouts",
        ok=(201,),
        # Another of this freelancer's sessions withdrew first: less is available now.
        refusals=[(409, "insufficient_funds")],
        key=key,
        json=body,
    )
    if response.status_code != 201:
        return
    payout = response.json()
    run.rec.moved("payouts", amount)
    if rng.random() < 0.25:  # the app retries: the same key gives the same payout
        again = http.json(
            "POST", "/api/v1/payouts", "/api/v1/payouts", ok=(201,), key=key, json=body
        )
        if again["id"] != payout["id"]:
            run.rec.problem(
                run.rec.unexpected,
                f"payout replay with key {key} gave payout {again['id']}, not {payout['id']}",
            )
    http.call("GET", f"/api/v1/payouts/{payout['id']}", "/api/v1/payouts/{id}")


# --- clients: the whole hire -------------------------------------------------------------


def client(run: LoadRun, rng: Random) -> None:
    w = run.world
    actor = rng.choice(w.clients)
    hire = rng.choice(w.freelancers)
    roll = rng.random()
    if roll < 0.75:
        _flow(
            run,
            "hire: post, propose, offer, fund, submit, approve",
            lambda: hire_flow(run, rng, actor, hire),
        )
    elif roll < 0.87:
        _flow(run, "client deposits", lambda: deposit(run, rng, actor))
    else:
        _flow(run, "client reads", lambda: client_reads(run, rng, actor))
    _think(rng)


def client_reads(run: LoadRun, rng: Random, actor: Actor) -> None:
    http = run.http_for(actor, rng)
    http.call("GET", "/api/v1/wallet", "/api/v1/wallet")
    jobs = http.json("GET", "/api/v1/me/jobs", "/api/v1/me/jobs", params={"state": "open"})
    if jobs["items"]:
        job = rng.choice(jobs["items"])
        http.call("GET", f"/api/v1/jobs/{job['id']}/proposals", "/api/v1/jobs/{id}/proposals")
    page = http.json("GET", "/api/v1/contracts", "/api/v1/contracts", params={"role": "client"})
    if page["items"]:
        contract = rng.choice(page["items"])
        http.call("GET", f"/api/v1/contracts/{contract['id']}", "/api/v1/contracts/{id}")
    http.call("GET", "/api/v1/offers", "/api/v1/offers", params={"role": "client"})


def deposit(run: LoadRun, rng: Random, actor: Actor) -> None:
    http = run.http_for(actor, rng)
    amount = rng.choice([5_000, 10_000, 25_000, 40_000])
    card = "pm_card_declined" if rng.random() < 0.1 else "pm_card_visa"
    response = http.call(
        "POST",
        "/api/v1/wallet/deposits",
        "/api/v1/wallet/deposits",
        ok=(201,),
        refusals=[(402, "payment_declined")] if card != "pm_card_visa" else [],
        key=uuid.uuid4().hex,
        json={"amount": _money(amount), "payment_method": card},
    )
    if response.status_code == 201:
        run.rec.moved("deposits", amount)
    http.call("GET", "/api/v1/wallet", "/api/v1/wallet")


def _job_body(rng: Random, run: LoadRun, budget: int) -> dict[str, Any]:
    n = rng.randint(1, 10_000)
    return {
        "title": f"Load gate job {n}: a short {rng.choice(SEARCH_WORDS[:-1])} task",
        "description": (
            "We need a reliable freelancer for a short, well defined task. The details are "
            "in the attached brief; milestones and acceptance criteria follow in the offer."
        ),
        "category": rng.choice(run.world.categories),
        "size": "small",
        "duration": "less_than_1_month",
        "experience_level": rng.choice(["entry", "intermediate", "expert"]),
        "budget_type": "fixed",
        "budget": _money(budget),
        "publish": True,
    }


def _split(total: int, parts: int) -> list[int]:
    first = total // parts
    return [first] * (parts - 1) + [total - first * (parts - 1)]


def hire_flow(run: LoadRun, rng: Random, cl: Actor, fl: Actor) -> None:
    c = run.http_for(cl, rng)
    f = run.http_for(fl, rng)
    budget = rng.choice([2_000, 5_000, 12_000, 25_000, 60_000])
    job = c.json(
        "POST", "/api/v1/jobs", "/api/v1/jobs", ok=(201,), json=_job_body(rng, run, budget)
    )
    job_id = job["id"]

    # The freelancer finds it and proposes (Connects spent), or the client goes direct.
    offer_to: dict[str, Any] = {"job_id": job_id, "freelancer_id": fl.user_id}
    if rng.random() < 0.8:
        f.call("GET", f"/api/v1/jobs/{job_id}", "/api/v1/jobs/{id}")
        quote = f.json(
            "GET", f"/api/v1/jobs/{job_id}/proposal-cost", "/api/v1/jobs/{id}/proposal-cost"
        )
        if quote["affordable"] or ensure_connects(run, rng, f, quote["cost"]):
            response = f.call(
                "POST",
                f"/api/v1/jobs/{job_id}/proposals",
                "/api/v1/jobs/{id}/proposals",
                ok=(201,),
                # The post is open and public from its first second: another session of
                # this freelancer's may find it in a search and propose first (409 conflict),
                # and the client then makes the offer directly.
                refusals=[
                    (409, "conflict"),
                    (409, "not_enough_connects"),
                    (429, "rate_limited"),
                ],
                json=_proposal_body(job, rng, quote["cost"]),
            )
            if response.status_code == 201:
                run.rec.moved("proposals (Connects spent)", 0)
                proposal_id = response.json()["id"]
                c.call("GET", f"/api/v1/jobs/{job_id}/proposals", "/api/v1/jobs/{id}/proposals")
                if rng.random() < 0.3:
                    c.call(
                        "POST",
                        f"/api/v1/proposals/{proposal_id}/messages",
                        "/api/v1/proposals/{id}/messages",
                        ok=(201,),
                        refusals=[(429, "rate_limited")],
                        json={"body": "Thanks! Could you start this week?"},
                    )
                offer_to = {"proposal_id": proposal_id}

    parts = 1 if budget < 5_000 else rng.choice([1, 2, 2, 3])
    amounts = _split(budget, parts)
    terms = {
        "kind": "fixed",
        "title": job["title"][:120],
        "description": "As discussed.",
        "start_date": date.today().isoformat(),
        "milestones": [
            {"description": f"Milestone {i + 1}", "amount": _money(a), "criteria": ["Done"]}
            for i, a in enumerate(amounts)
        ],
        **offer_to,
    }
    offer = c.json("POST", "/api/v1/offers", "/api/v1/offers", ok=(201,), json=terms)
    revision = offer["revision"]
    if rng.random() < 0.1:
        # The client changes the offer while the freelancer reads it: accepting the old
        # revision is a 409, then the new one is accepted.
        changed = c.json(
            "PATCH",
            f"/api/v1/offers/{offer['id']}",
            "/api/v1/offers/{id}",
            json={"message": "Updated: please confirm the start date."},
        )
        f.call(
            "POST",
            f"/api/v1/offers/{offer['id']}/accept",
            "/api/v1/offers/{id}/accept",
            ok=(),
            refusals=[(409, "conflict")],
            json={"revision": revision},
        )
        revision = changed["revision"]
    started = f.json(
        "POST",
        f"/api/v1/offers/{offer['id']}/accept",
        "/api/v1/offers/{id}/accept",
        ok=(201,),
        json={"revision": revision},
    )
    contract_id = started["contract_id"]
    contract = c.json("GET", f"/api/v1/contracts/{contract_id}", "/api/v1/contracts/{id}")
    milestones = contract["milestones"]
    for index, milestone in enumerate(milestones):
        last = index == len(milestones) - 1
        fund(run, rng, c, cl, milestone)
        submit(f, milestone, "Here is the work for this milestone.")
        if rng.random() < 0.2:
            c.call(
                "POST",
                f"/api/v1/milestones/{milestone['id']}/request-changes",
                "/api/v1/milestones/{id}/request-changes",
                json={"message": "Close, but please fix the second section."},
            )
            submit(f, milestone, "Fixed as asked.")
        approve(run, rng, c, cl, milestone, partial=last and rng.random() < 0.15)
    if rng.random() < 0.5:
        c.call("POST", f"/api/v1/contracts/{contract_id}/end", "/api/v1/contracts/{id}/end")
    f.call("GET", "/api/v1/wallet", "/api/v1/wallet")


def _milestone(http: Http, milestone: dict[str, Any]) -> dict[str, Any]:
    contract = http.json(
        "GET", f"/api/v1/contracts/{milestone['contract_id']}", "/api/v1/contracts/{id}"
    )
    return next(m for m in contract["milestones"] if m["id"] == milestone["id"])


def _concurrently(calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response | None]:
    """A double click: the same action sent twice at once, from two sessions."""
    results: list[httpx.Response | None] = [None] * len(calls)

    def one(i: int) -> None:
        with contextlib.suppress(FlowStop):
            results[i] = calls[i]()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(REQUEST_TIMEOUT + 5)
    return results


def fund(run: LoadRun, rng: Random, c: Http, cl: Actor, milestone: dict[str, Any]) -> None:
    path = f"/api/v1/milestones/{milestone['id']}/fund"
    name = "/api/v1/milestones/{id}/fund"
    method = "balance" if cl.funding_cents and rng.random() < 0.6 else "pm_card_visa"
    # From the balance, another funding of this client's may have spent it first (409
    # insufficient_funds): then the card. A card payment for this milestone already under
    # way (a double click, or the card try after a balance refusal overlapping the other
    # click's card payment) holds its charge claim: 409 invalid_transition ("under way
    # already"), and the other one funds it.
    refusals = [(409, "insufficient_funds"), (409, "conflict"), (409, "invalid_transition")]
    amount = _cents(milestone["amount"])
    if rng.random() < 0.15:
        other = Http(run, rng, cl.token)
        results = _concurrently(
            [
                lambda: c.call(
                    "POST",
                    path,
                    name,
                    refusals=refusals,
                    key=uuid.uuid4().hex,
                    json={"payment_method": method},
                ),
                lambda: other.call(
                    "POST",
                    path,
                    name,
                    refusals=refusals,
                    key=uuid.uuid4().hex,
                    json={"payment_method": "pm_card_visa"},
                ),
            ]
        )
        if any(r is None for r in results):
            raise FlowStop("failed")
    else:
        key = uuid.uuid4().hex
        response = c.call(
            "POST", path, name, refusals=refusals, key=key, json={"payment_method": method}
        )
        if response.status_code == 409 and method == "balance":
            c.call(
                "POST",
                path,
                name,
                refusals=refusals,
                key=uuid.uuid4().hex,
                json={"payment_method": "pm_card_visa"},
            )
        elif response.status_code == 200 and rng.random() < 0.1:
            c.call("POST", path, name, key=key, json={"payment_method": method})  # a retry
    state = _milestone(c, milestone)
    if state["state"] == "not_funded":
        # Both tries of a double click lost to each other's claim (rare): fund it now.
        c.call("POST", path, name, key=uuid.uuid4().hex, json={"payment_method": "pm_card_visa"})
        state = _milestone(c, milestone)
    if state["state"] != "funded" or _cents(state["funded"]) != amount:
        run.rec.problem(
            run.rec.unexpected,
            f"milestone {milestone['id']} after funding: state {state['state']}, funded "
            f"{state['funded']['amount']} for an amount of {milestone['amount']['amount']}",
        )
        raise FlowStop("failed")
    run.rec.moved("milestone fundings", amount)


def submit(f: Http, milestone: dict[str, Any], message: str) -> None:
    f.call(
        "POST",
        f"/api/v1/milestones/{milestone['id']}/submit",
        "/api/v1/milestones/{id}/submit",
        files={"message": (None, message)},
    )


def approve(
    run: LoadRun, rng: Random, c: Http, cl: Actor, milestone: dict[str, Any], partial: bool
) -> None:
    path = f"/api/v1/milestones/{milestone['id']}/approve"
    name = "/api/v1/milestones/{id}/approve"
    amount = _cents(milestone["amount"])
    body: dict[str, Any] = {}
    release = amount
    if partial and amount >= 1_000:
        release = amount // 2
        body = {"amount": _money(release), "remainder": "refund"}
    # A second approval racing the first finds the milestone approved already (409).
    refusals = [(409, "invalid_transition"), (409, "conflict")]
    if rng.random() < 0.15:
        other = Http(run, rng, cl.token)
        results = _concurrently(
            [
                lambda: c.call(
                    "POST", path, name, refusals=refusals, key=uuid.uuid4().hex, json=body
                ),
                lambda: other.call(
                    "POST", path, name, refusals=refusals, key=uuid.uuid4().hex, json=body
                ),
            ]
        )
        if any(r is None for r in results):
            raise FlowStop("failed")
        if not any(r is not None and r.status_code == 200 for r in results):
            run.rec.problem(run.rec.unexpected, f"neither of two approvals of {path} succeeded")
            raise FlowStop("failed")
    else:
        key = uuid.uuid4().hex
        c.call("POST", path, name, key=key, json=body)
        if rng.random() < 0.1:
            c.call("POST", path, name, key=key, json=body)  # a retry replays the answer
    state = _milestone(c, milestone)
    if state["state"] != "approved" or _cents(state["released"]) != release:
        run.rec.problem(
            run.rec.unexpected,
            f"milestone {milestone['id']} after approval: state {state['state']}, released "
            f"{state['released']['amount']}, expected {_money(release)['amount']}",
        )
        raise FlowStop("failed")
    run.rec.moved("releases", release)
    if release != amount:
        run.rec.moved("partial-release refunds", amount - release)


# --- a signed-in browser: the HTML pages with a session ---------------------------------


def browser(run: LoadRun, rng: Random) -> None:
    w = run.world
    actor = rng.choice(w.clients + w.freelancers)
    _flow(run, "signed-in browsing", lambda: browse_signed_in(run, rng, actor))


def browse_signed_in(run: LoadRun, rng: Random, actor: Actor) -> None:
    http = Http(run, rng)
    http.call("GET", "/accounts/login/", "/accounts/login/")
    csrf = http.session.cookies.get("csrftoken", "")
    http.call(
        "POST",
        "/accounts/login/",
        "/accounts/login/",
        ok=(302,),
        data={"login": actor.email, "password": actor.password, "csrfmiddlewaretoken": csrf},
    )
    if actor.role == "client":
        pages = ["/", "/jobs/mine/", "/contracts/", "/wallet/", "/messages/", "/account/"]
    else:
        pages = [
            "/",
            "/proposals/",
            "/contracts/",
            "/wallet/",
            "/wallet/payouts/",
            "/connects/history/",
            "/messages/",
            "/proposals/invitations/",
        ]
    for _ in range(rng.randint(6, 14)):
        page = rng.choice(pages)
        http.call("GET", page, page)
        if page == "/contracts/" and rng.random() < 0.6:
            mine = http.json("GET", "/api/v1/contracts", "/api/v1/contracts (session)")
            if mine["items"]:
                contract = rng.choice(mine["items"])
                http.call("GET", f"/contracts/{contract['id']}/", "/contracts/{id}/")
        _think(rng, 0.05, 0.4)
    csrf = http.session.cookies.get("csrftoken", "")
    http.call(
        "POST",
        "/accounts/logout/",
        "/accounts/logout/",
        ok=(302,),
        data={"csrfmiddlewaretoken": csrf},
    )


# --- the child modes: setup and drain, run inside the Django environment ----------------


def child_setup() -> None:
    """Deliver the demo's outbox backlog, pick the demo freelancers to act as, and hand
    back (emit) their numbers and what the load needs to know of the site."""
    import django

    django.setup()
    from openlance.accounts.models import User
    from openlance.billing.models import WithdrawalMethod
    from openlance.catalog.models import Category
    from openlance.connects.selectors import connects_balance
    from openlance.core import clock
    from openlance.core.services import outbox_drain
    from openlance.jobs.models import JobPost, JobState, JobVisibility
    from openlance.ledger.models import AccountKind, LedgerAccount
    from openlance.profiles.models import Freelancer, Visibility
    from openlance.web.management.commands.demo_load import SCALES, freelancer_email

    now = clock.now()
    balances = {
        (a.owner_id, a.kind): a.balance_cents
        for a in LedgerAccount.objects.filter(
            owner__isnull=False,
            kind__in=[AccountKind.CLIENT_FUNDING, AccountKind.FREELANCER_AVAILABLE],
        )
    }
    usable = set(
        WithdrawalMethod.objects.filter(
            is_default=True, removed_at__isnull=True, usable_from__lte=now
        ).values_list("user_id", flat=True)
    )
    # The demo's freelancers by number (up to the full demo's: a smaller one has the first).
    numbers = {freelancer_email(n): n for n in range(1, SCALES["full"].freelancers + 1)}
    shown = (
        Freelancer.objects.exclude(visibility=Visibility.PRIVATE)
        .filter(user__email__in=numbers)
        .select_related("user")
    )
    withdrawers = [f.user for f in shown if f.user.is_active and f.user.pk in usable]
    others = sorted(
        (f.user for f in shown if f.user not in withdrawers),
        key=lambda u: (-connects_balance(user=u), u.pk),
    )
    freelancers = withdrawers + others[: max(0, 16 - len(withdrawers))]
    world: dict[str, Any] = {
        "freelancers": [numbers[user.email] for user in freelancers],
        "funding_cents": {
            owner: cents
            for (owner, kind), cents in balances.items()
            if kind == AccountKind.CLIENT_FUNDING
        },
        "withdrawers": [
            owner
            for owner in usable
            if balances.get((owner, AccountKind.FREELANCER_AVAILABLE), 0) > 0
        ],
        "job_ids": list(
            JobPost.objects.filter(
                state=JobState.OPEN, visibility=JobVisibility.PUBLIC
            ).values_list("pk", flat=True)
        ),
        "freelancer_ids": list(
            Freelancer.objects.filter(visibility=Visibility.PUBLIC).values_list(
                "user_id", flat=True
            )
        ),
        "client_ids": list(User.objects.filter(is_client=True).values_list("pk", flat=True)),
        "categories": list(Category.objects.values_list("slug", flat=True)),
    }
    # The demo records thousands of events in bulk and queues one drain for them all (it
    # delivers 200). Deliver that backlog now, as the worker would, so that the load
    # starts from a steady state and its own events are the ones measured afterwards.
    began = time.monotonic()
    backlog = 0
    while delivered := outbox_drain(now=clock.now(), limit=500):
        backlog += delivered
    world["backlog"] = [backlog, round(time.monotonic() - began, 1)]
    emit(world)


def child_drain(since: str) -> None:
    """Wait until Huey's queue is empty and every outbox event is delivered (or set
    aside), then hand back (emit) what the load moved."""
    import django

    django.setup()
    from django.db.models import Count, Sum
    from huey.contrib.djhuey import HUEY

    from openlance.billing.models import Payout
    from openlance.core.models import OutboxEvent
    from openlance.ledger.models import Transfer

    began = datetime.fromisoformat(since)
    start = time.monotonic()
    deadline = start + DRAIN_TIMEOUT
    left_at_end = OutboxEvent.objects.filter(processed_at__isnull=True, dead_at__isnull=True)
    at_end = left_at_end.count()
    quiet = 0
    drained_at = start
    while True:
        pending = HUEY.pending_count()
        undelivered = OutboxEvent.objects.filter(
            processed_at__isnull=True, dead_at__isnull=True
        ).count()
        quiet = quiet + 1 if pending == 0 and undelivered == 0 else 0
        if quiet == 1:
            drained_at = time.monotonic()
        if quiet >= 3 or time.monotonic() > deadline:
            break
        time.sleep(1)
    failing = OutboxEvent.objects.filter(created_at__gte=began).exclude(last_error="")
    transfers = (
        Transfer.objects.filter(created_at__gte=began)
        .values("kind")
        .annotate(n=Count("id"))
        .order_by("kind")
    )
    result = {
        "drained": quiet >= 3,
        "seconds": round((drained_at if quiet >= 3 else time.monotonic()) - start, 1),
        "undelivered_at_end_of_load": at_end,
        "huey_pending": pending,
        "outbox_undelivered": undelivered,
        "outbox_dead": OutboxEvent.objects.filter(dead_at__isnull=False).count(),
        "outbox_errors": [
            f"{e.kind} #{e.pk} (attempts {e.attempts}): {e.last_error[:800]}" for e in failing[:10]
        ],
        "outbox_delivered": OutboxEvent.objects.filter(
            created_at__gte=began, processed_at__isnull=False
        ).count(),
        "transfers": {row["kind"]: row["n"] for row in transfers},
        "payouts": Payout.objects.filter(created_at__gte=began).aggregate(
            n=Count("id"), cents=Sum("amount_cents")
        ),
    }
    emit(result)


# --- the gate ----------------------------------------------------------------------------


def _percentiles(values: Sequence[float]) -> list[float]:
    """The 1st to the 99th percentile (statistics.quantiles needs two values at least)."""
    if len(values) < 2:
        return [values[0] if values else 0.0] * 99
    return statistics.quantiles(values, n=100, method="inclusive")


def report(run: LoadRun, elapsed: float) -> tuple[int, int, float]:
    rec = run.rec
    total = sum(rec.statuses.values())
    all_ms = [ms for values in rec.latencies.values() for ms in values]
    print("\n== Requests by endpoint (status: count; latency p50 / p95 ms)")
    for name in sorted(rec.latencies):
        statuses = ", ".join(
            f"{status}: {n}" for (n_, status), n in sorted(rec.statuses.items()) if n_ == name
        )
        values = rec.latencies[name]
        q = _percentiles(values)
        print(f"  {name:<58} {len(values):>6}  [{statuses}]  {q[49]:7.0f} / {q[94]:7.0f}")
    by_kind: Counter[str] = Counter()
    for (name, _), n in rec.statuses.items():
        by_kind["HTML pages" if "/api/" not in name else "API " + name.split()[0]] += n
    print("\n== Requests by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(by_kind.items())))
    by_status: Counter[int] = Counter()
    for (_, status), n in rec.statuses.items():
        by_status[status] += n
    print("== Statuses: " + ", ".join(f"{s}: {n}" for s, n in sorted(by_status.items())))
    if rec.expected:
        print("\n== Expected refusals (races and limits a busy marketplace meets)")
        for (name, status, code), n in sorted(rec.expected.items()):
            print(f"  {name:<58} {status} {code or '-':<22} {n:>5}")
    print("\n== Flows (started / completed / cut by deadline / failed)")
    names = sorted({name for name, _ in rec.flows})
    for name in names:
        counts = [
            rec.flows[(name, o)] for o in ("started", "completed", "cut by deadline", "failed")
        ]
        print(f"  {name:<58} " + " / ".join(str(n) for n in counts))
    print("\n== Money moved through the API")
    for what, n in sorted(rec.money.items()):
        amount = f" ({Money(rec.cents[what])})" if rec.cents[what] else ""
        print(f"  {what:<40} {n:>6}{amount}")
    q = _percentiles(all_ms)
    p95 = q[94]
    print(
        f"\n== {total} requests in {elapsed:.0f}s ({total / max(elapsed, 1):.1f}/s), "
        f"p50 {q[49]:.0f} ms, p95 {p95:.0f} ms, p99 {q[98]:.0f} ms"
    )
    fives = sum(n for (_, s), n in rec.statuses.items() if s >= 500)
    return total, fives, p95


def _print_list(title: str, items: list[str], limit: int = 20) -> None:
    if not items:
        return
    print(f"\n== {title}: {len(items)}", file=sys.stderr)
    for item in items[:limit]:
        print("--- " + item, file=sys.stderr)
    if len(items) > limit:
        print(f"... and {len(items) - limit} more", file=sys.stderr)


def gate() -> int:
    seconds = env_int("LOAD_SECONDS", 120)
    seed = env_int("LOAD_SEED", secrets.randbelow(1_000_000))
    pg_server = os.environ.get("LOAD_PG_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    redis_url = os.environ.get("LOAD_REDIS_URL") or "redis://127.0.0.1:6379/7"
    _local(pg_server, "LOAD_PG_URL")
    _local(redis_url, "LOAD_REDIS_URL")
    # The whole run's ceiling: setup, the load, draining, the checks.
    budget = SETUP_TIMEOUT + seconds + int(REQUEST_TIMEOUT) + DRAIN_TIMEOUT + CHECK_TIMEOUT + 180
    with Gate("load", keep_var="LOAD_KEEP", budget=budget) as gate:
        _flush_redis(redis_url)
        gate.cleanups.callback(_flush_redis, redis_url)
        database = f"openlance_load_{os.getpid()}"
        gate.env["DATABASE_URL"] = gate.cleanups.enter_context(
            postgres_database(pg_server, database)
        )
        gate.env["REDIS_URL"] = redis_url
        gate.log(f"database {database}, Redis {redis_url}, in {gate.dir}")
        try:
            return _run(gate, seconds, seed)
        except GateError as exc:
            print(f"\nload: FAIL (setup): {exc}", file=sys.stderr, flush=True)
            for process in gate.processes:
                for error in errors_in(process.log)[:3]:
                    print(f"--- {process.name}: {error}", file=sys.stderr)
            return 1


def _run(gate: Gate, seconds: int, seed: int) -> int:
    gate.load_demo(os.environ.get("LOAD_DEMO_SCALE") or "full")
    world_data = result(gate.run("setup", [PYTHON, __file__, "--setup"]).stdout)
    backlog, took = world_data["backlog"]
    gate.log(f"the demo's outbox backlog delivered: {backlog} events in {took}s")
    accounts = gate.demo_tokens(
        "load gate", freelancers=world_data["freelancers"], clients=range(1, 11)
    )
    funding = {int(owner): cents for owner, cents in world_data["funding_cents"].items()}
    withdrawers = set(world_data["withdrawers"])
    actors = [
        Actor(
            user_id=a.user_id,
            email=a.email,
            password=a.password,
            token=a.token,
            role=a.role,
            funding_cents=funding.get(a.user_id, 0),
            withdraws=a.user_id in withdrawers,
        )
        for a in accounts
    ]
    world = World(
        clients=[a for a in actors if a.role == "client"],
        freelancers=[a for a in actors if a.role == "freelancer"],
        job_ids=world_data["job_ids"],
        freelancer_ids=world_data["freelancer_ids"],
        client_ids=world_data["client_ids"],
        categories=world_data["categories"],
    )
    gate.log(
        f"tokens for {len(world.clients)} clients and {len(world.freelancers)} freelancers "
        f"({sum(f.withdraws for f in world.freelancers)} with money to withdraw)"
    )

    web = [gate.web(f"web{i}", workers=1) for i in (1, 2)]
    huey = [gate.worker("worker1"), gate.worker("worker2", options=["--no-periodic"])]
    for server in web:
        server.wait_http("/", timeout=60)
    for worker in huey:
        worker.wait_log("Huey consumer started", timeout=60)
    bases = [server.url for server in web]
    gate.log(
        f"serving: gunicorn x2 on {', '.join(bases)} (1 sync worker each), "
        "Huey consumers x2 (one with the periodic tasks)"
    )

    run = LoadRun(world, bases, seconds, seed)
    users: list[tuple[str, Callable[[LoadRun, Random], None]]] = []
    for kind, body, default in (
        ("client", client, 3),
        ("freelancer", freelancer, 3),
        ("visitor", visitor, 2),
        ("browser", browser, 1),
    ):
        count = env_int(f"LOAD_{kind.upper()}S", default)
        users += [(f"{kind}-{i + 1}", body) for i in range(count)]
    since = datetime.now(UTC) - timedelta(seconds=1)
    gate.log(f"load: {len(users)} virtual users for {seconds}s (LOAD_SEED={seed})")
    run.execute(users)
    elapsed = time.monotonic() - run.began
    gate.log("load finished; waiting for the queue to drain")

    drain_argv = [PYTHON, __file__, "--drain", since.isoformat()]
    drain = result(gate.run("drain", drain_argv, timeout=DRAIN_TIMEOUT + 30).stdout)
    check = gate.manage("ledger_check", timeout=CHECK_TIMEOUT)
    failures = [
        f"{process.name} died during the run ({process.popen.returncode})"
        for process in [*huey, *web]
        if not process.alive()
    ]
    gate.stop_processes()  # their logs complete

    total, fives, p95 = report(run, elapsed)
    print("\n== After the load")
    print(
        f"  queue drained: {drain['drained']} (Huey pending {drain['huey_pending']}, "
        f"outbox undelivered {drain['outbox_undelivered']} (at the end of the load "
        f"{drain['undelivered_at_end_of_load']}, drained in {drain['seconds']}s), delivered "
        f"{drain['outbox_delivered']}, dead {drain['outbox_dead']})"
    )
    print(
        "  ledger transfers during the load: "
        + ", ".join(f"{kind} {n}" for kind, n in drain["transfers"].items())
    )
    for line in check.strip().splitlines():
        print(f"  ledger_check: {line}")

    rec = run.rec
    logged = [f"{p.name}: {error}" for p in [*web, *huey] for error in errors_in(p.log)]
    _print_list("SERVER ERRORS (5xx)", rec.server_errors)
    _print_list("UNEXPECTED RESPONSES (a flow got what it should not)", rec.unexpected)
    _print_list("NO ANSWER (transport errors)", rec.transport)
    _print_list("ERRORS in the server and worker logs", logged, 10)
    _print_list("OUTBOX EVENTS THAT FAILED", drain["outbox_errors"])
    if fives or rec.server_errors:
        failures.append(f"{fives} server errors")
    if rec.unexpected:
        failures.append(f"{len(rec.unexpected)} unexpected responses")
    if rec.transport:
        failures.append(f"{len(rec.transport)} requests without an answer")
    if logged:
        failures.append(f"{len(logged)} errors in the logs")
    if not drain["drained"]:
        failures.append("the queue did not drain")
    if drain["outbox_dead"] or drain["outbox_errors"]:
        failures.append("outbox events failed")
    releases = rec.money["releases"]
    if not total or not releases or not rec.money["payouts"]:
        failures.append("the load moved no money (no releases or no payouts)")
    verdict = "PASS" if not failures else "FAIL (" + "; ".join(failures) + ")"
    ledger = "sound" if "Ledger sound" in check else "?"
    print(
        f"\nload: {verdict}: {total} requests in {elapsed:.0f}s, {fives} 5xx, "
        f"{len(rec.unexpected)} unexpected, p95 {p95:.0f} ms; money: "
        f"{rec.money['milestone fundings']} fundings, {releases} releases "
        f"({Money(rec.cents['releases'])}), {rec.money['payouts']} payouts "
        f"({Money(rec.cents['payouts'])}), {rec.money['deposits']} deposits, "
        f"{rec.money['Connects purchases']} Connects purchases; ledger_check: {ledger}",
        flush=True,
    )
    return 0 if not failures else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--setup", action="store_true", help="(internal) pick the demo users")
    parser.add_argument("--drain", metavar="SINCE", help="(internal) wait for the queue")
    args = parser.parse_args(argv)
    if args.setup:
        child_setup()
    elif args.drain:
        child_drain(args.drain)
    else:
        return gate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
