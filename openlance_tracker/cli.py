"""openlance-tracker: a command-line time tracker for Openlance hourly contracts.

    openlance-tracker start --contract 12 --memo "Checkout page"
    openlance-tracker stop
    openlance-tracker status
    openlance-tracker log [--contract 12]
    openlance-tracker sync

It talks to the API with a personal access token (OPENLANCE_URL, OPENLANCE_TOKEN). It keeps
working without a network: a stopped interval is kept in a local file until the API takes
it, each with its own idempotency key, so an upload retried after a lost answer never
doubles the time. An interval running past Monday 00:00 UTC is cut into one per billing
week, as the marketplace bills by the week. The state file lives in OPENLANCE_TRACKER_HOME
(default ~/.local/share/openlance-tracker).
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib import error, request

TIMEOUT_SECONDS = 10
API = "/api/v1"
# Answers that say "not now" rather than "never": the interval stays queued. A 401 is a
# token to fix, not time to lose.
RETRYABLE = frozenset({401, 408, 425, 429})


class Offline(Exception):
    """The API could not be reached; nothing was lost."""


@dataclass
class Interval:
    contract: int
    started_at: str
    ended_at: str
    memo: str
    key: str


@dataclass
class State:
    running: dict[str, Any] | None = None
    queue: list[Interval] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path, out: Any = sys.stderr) -> State:
        if not path.exists():
            return cls()
        try:
            data = json.loads(path.read_text())
        except ValueError:
            # A damaged file must not stop the tracker: keep it for a person to look at.
            aside = path.with_name(f"{path.name}.damaged-{_now():%Y%m%dT%H%M%S}")
            path.replace(aside)
            print(f"The state file was damaged; it is kept as {aside}.", file=out)
            return cls()
        return cls(
            running=data.get("running"),
            queue=[Interval(**item) for item in data.get("queue", [])],
            refused=data.get("refused", []),
        )

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(
            json.dumps(
                {
                    "running": self.running,
                    "queue": [asdict(item) for item in self.queue],
                    "refused": self.refused,
                },
                indent=2,
            )
        )
        temporary.replace(path)  # atomic: a crash never leaves half a file


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _next_monday(moment: datetime) -> datetime:
    day = moment.date() - timedelta(days=moment.weekday())
    return datetime.combine(day + timedelta(days=7), datetime.min.time(), tzinfo=UTC)


def split_by_week(contract: int, start: datetime, end: datetime, memo: str) -> list[Interval]:
    """The interval as one piece per billing week (Monday 00:00 UTC boundaries)."""
    pieces = []
    while start < end:
        stop = min(end, _next_monday(start))
        pieces.append(Interval(contract, _iso(start), _iso(stop), memo, uuid.uuid4().hex))
        start = stop
    return pieces


class Api:
    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token

    def call(
        self, method: str, path: str, body: dict[str, Any] | None = None, key: str = ""
    ) -> tuple[int, dict[str, Any]]:
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if key:
            headers["Idempotency-Key"] = key
        url = self.base_url + API + path
        if not url.startswith(("http://", "https://")):
            raise SystemExit(f"OPENLANCE_URL must be an http(s) address, not {self.base_url!r}")
        req = request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
        try:
            with request.urlopen(req, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                return response.status, json.loads(response.read() or b"{}")
        except error.HTTPError as answer:
            try:
                return answer.code, json.loads(answer.read() or b"{}")
            except ValueError:
                return answer.code, {"detail": answer.reason}
        except (error.URLError, TimeoutError, ConnectionError) as failure:
            raise Offline(str(failure)) from None


class Tracker:
    """One command's work on the state file; hold `locked()` around it so two commands at
    once (a stop while a sync runs) never overwrite each other's state."""

    def __init__(self, api: Api, home: Path, out: Any = sys.stdout) -> None:
        self.api = api
        self.path = home / "state.json"
        self.out = out
        home.mkdir(parents=True, exist_ok=True)
        self.state = State()

    @contextmanager
    def locked(self) -> Iterator[None]:
        with (self.path.parent / "state.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                self.state = State.load(self.path, self.out)
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def say(self, text: str) -> None:
        print(text, file=self.out)

    def start(self, contract: int, memo: str) -> int:
        if self.state.running is not None:
            self.say(f"Already tracking contract {self.state.running['contract']}: stop first.")
            return 1
        self.state.running = {"contract": contract, "memo": memo, "started_at": _iso(_now())}
        self.state.save(self.path)
        self.say(f"Tracking contract {contract} from {self.state.running['started_at']}.")
        self.sync(quiet=True)
        return 0

    def stop(self) -> int:
        running = self.state.running
        if running is None:
            self.say("Nothing is being tracked.")
            return 1
        start, end = _parse(running["started_at"]), _now()
        if end <= start:
            end = start + timedelta(seconds=1)
        self.state.queue.extend(
            split_by_week(int(running["contract"]), start, end, str(running["memo"]))
        )
        self.state.running = None
        self.state.save(self.path)
        self.say(f"Stopped: {_duration(end - start)} on contract {running['contract']}.")
        return self.sync()

    def sync(self, *, quiet: bool = False) -> int:
        """Upload every queued interval, each under its own key; keep them when offline."""
        sent = 0
        while self.state.queue:
            item = self.state.queue[0]
            try:
                status, body = self.api.call(
                    "POST",
                    f"/contracts/{item.contract}/time-entries",
                    {"started_at": item.started_at, "ended_at": item.ended_at, "memo": item.memo},
                    key=item.key,
                )
            except Offline as offline:
                self.say(f"Offline ({offline}): {len(self.state.queue)} interval(s) kept.")
                return 0
            if status in RETRYABLE or status >= 500:
                self.say(
                    f"The API answered {status}: {len(self.state.queue)} interval(s) kept, "
                    "to send again later."
                )
                return 0
            self.state.queue.pop(0)
            if status == 201:
                sent += 1
            else:
                detail = body.get("detail") or body.get("title") or f"HTTP {status}"
                self.state.refused.append({**asdict(item), "status": status, "detail": detail})
                self.say(f"Refused {item.started_at} to {item.ended_at}: {detail}")
            self.state.save(self.path)
        if sent or not quiet:
            self.say(f"Uploaded {sent} interval(s); nothing waiting.")
        return 0

    def status(self) -> int:
        running = self.state.running
        if running is None:
            self.say("Not tracking.")
        else:
            elapsed = _now() - _parse(running["started_at"])
            self.say(
                f"Tracking contract {running['contract']} for {_duration(elapsed)}"
                + (f": {running['memo']}" if running["memo"] else "")
            )
        self.say(f"{len(self.state.queue)} interval(s) waiting to upload.")
        for item in self.state.refused[-5:]:
            self.say(f"Refused: {item['started_at']} to {item['ended_at']}: {item['detail']}")
        return 0

    def log(self, contract: int | None) -> int:
        contracts = sorted(
            {contract}
            if contract
            else {item.contract for item in self.state.queue}
            | ({int(self.state.running["contract"])} if self.state.running else set())
        )
        if not contracts:
            self.say("Name a contract: log --contract N.")
            return 1
        for number in contracts:
            try:
                status, sheet = self.api.call("GET", f"/contracts/{number}/timesheet")
            except Offline:
                self.say(f"Contract {number}: offline, only local intervals are known.")
                sheet, status = {}, 0
            if status == 200:
                self.say(
                    f"Contract {number}, week of {sheet['week_start']}: "
                    f"{_duration(timedelta(seconds=sheet['seconds_logged']))} logged, "
                    f"{_duration(timedelta(seconds=sheet['seconds_billed']))} billable, "
                    f"{sheet['amount']['amount']} {sheet['amount']['currency']}"
                )
                for entry in sheet["entries"]:
                    self.say(
                        f"  {entry['started_at']}  to  {entry['ended_at']}  "
                        f"{entry['source']:<7} {entry['memo']}"
                    )
            elif status:
                self.say(f"Contract {number}: {sheet.get('detail', f'HTTP {status}')}")
            for item in self.state.queue:
                if item.contract == number:
                    self.say(f"  {item.started_at}  to  {item.ended_at}  waiting  {item.memo}")
        return 0


def _duration(span: timedelta) -> str:
    minutes = int(span.total_seconds()) // 60
    return f"{minutes // 60}:{minutes % 60:02d}"


def main(argv: list[str] | None = None, out: Any = sys.stdout) -> int:
    parser = argparse.ArgumentParser(prog="openlance-tracker", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="start tracking a contract")
    start.add_argument("--contract", type=int, required=True)
    start.add_argument("--memo", default="", help="what you are working on")
    commands.add_parser("stop", help="stop and upload the interval")
    commands.add_parser("status", help="what is running and what waits to upload")
    log = commands.add_parser("log", help="this week's timesheet")
    log.add_argument("--contract", type=int)
    commands.add_parser("sync", help="upload the intervals kept while offline")
    args = parser.parse_args(argv)
    url, token = os.environ.get("OPENLANCE_URL", ""), os.environ.get("OPENLANCE_TOKEN", "")
    if not url or not token:
        print("Set OPENLANCE_URL and OPENLANCE_TOKEN (a personal access token).", file=out)
        return 2
    home = Path(
        os.environ.get("OPENLANCE_TRACKER_HOME")
        or Path.home() / ".local" / "share" / "openlance-tracker"
    )
    tracker = Tracker(Api(url, token), home, out)
    with tracker.locked():
        if args.command == "start":
            return tracker.start(args.contract, args.memo)
        if args.command == "stop":
            return tracker.stop()
        if args.command == "status":
            return tracker.status()
        if args.command == "log":
            return tracker.log(args.contract)
        return tracker.sync()


if __name__ == "__main__":
    raise SystemExit(main())
