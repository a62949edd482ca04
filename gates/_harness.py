"""What the gates share: a throwaway directory and the environment the site runs in there,
manage.py, gunicorn and the Huey worker as the Procfile runs them, tokens for demo accounts,
and the errors a server logged. The benchmarks use its throwaway PostgreSQL database too.

Every child runs in a process group of its own, stopped as a whole when the gate ends (or
is interrupted), and gets SIGTERM should the gate itself die, even by SIGKILL: nothing a
gate starts outlives it.
"""

# ruff: noqa: S603 (every command here is built from fixed parts, never from input)

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from honcho.environ import parse_procfile

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

# What a child prints, before one line of JSON, to hand a result back (see `emit`).
RESULT_MARK = "GATE-RESULT "

# Settings the site reads from the environment (openlance/settings.py), and what the
# Procfile and gunicorn read: the caller's own are never passed on, so a gate's site runs
# on the defaults plus what the gate sets.
SITE_SETTINGS = {
    "ALLOWED_HOSTS",
    "BEHIND_TLS_PROXY",
    "BIND_ADDRESS",
    "CSRF_TRUSTED_ORIGINS",
    "DATABASE_URL",
    "DEBUG",
    "DEFAULT_FROM_EMAIL",
    "GUNICORN_CMD_ARGS",
    "LOG_LEVEL",
    "MEDIA_ROOT",
    "OPENLANCE_VAR_DIR",
    "PAYMENT_GATEWAY",
    "PORT",
    "REDIS_URL",
    "SECRET_KEY",
    "SECURE_COOKIES",
    "SIGN_IN_COUNTRY_HEADER",
    "SITE_URL",
    "WEB_CONCURRENCY",
}
SITE_SETTING_PREFIXES = ("AXES_", "DJANGO_", "EMAIL_", "HSTS_", "HUEY_", "PYTEST", "STRIPE_")

# Django logs "Internal Server Error: <path>" for every 500 it answers (with the traceback
# when the view raised; the API's last-resort handler logs its own just before), gunicorn
# "WORKER TIMEOUT" for a worker it killed for slowness, Huey a task's traceback.
ERROR_LINES = ("Internal Server Error:", "WORKER TIMEOUT")
TRACEBACK = "Traceback (most recent call last):"

# A snippet for `manage.py shell`: a personal access token for each demo account asked for,
# made by the service the tokens API uses. `wanted` and `name` are appended by demo_tokens.
DEMO_TOKENS = """
import json
from openlance.accounts.models import User
from openlance.accounts.services import token_create
from openlance.web.management.commands.demo_load import (
    DEMO_PASSWORD, client_email, freelancer_email,
)
email_of = {"freelancer": freelancer_email, "client": client_email}
accounts = []
for role, number in wanted:
    user = User.objects.get(email=email_of[role](number))
    _, secret = token_create(user=user, name=name)
    accounts.append(
        {"role": role, "number": number, "user_id": user.pk, "email": user.email,
         "password": DEMO_PASSWORD, "token": secret}
    )
print(RESULT_MARK + json.dumps(accounts))
"""


class GateError(Exception):
    """A step the gate depends on failed; the message says which, with its output."""


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    try:
        return int(value) if value else default
    except ValueError:
        raise GateError(f"{name} must be a whole number, not {value!r}") from None


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on: the kernel's pick for port 0."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def die_with_parent() -> None:
    """preexec_fn: the child gets SIGTERM when the gate dies, even by SIGKILL. Linux ties
    this to the thread that started the child, so the gates start children from their main
    thread only. Elsewhere (no prctl) the child just goes without this guard."""
    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def child_env(var_dir: Path) -> dict[str, str]:
    """This environment without the site's settings, then DEBUG off with a random
    SECRET_KEY (production settings, and nobody else's key), the database, cache and queue
    in SQLite under `var_dir` unless the gate sets DATABASE_URL or REDIS_URL."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in SITE_SETTINGS and not name.startswith(SITE_SETTING_PREFIXES)
    }
    env.update(
        OPENLANCE_VAR_DIR=str(var_dir),
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_SETTINGS_MODULE="openlance.settings",
        PYTHONUNBUFFERED="1",
    )
    return env


def emit(value: Any) -> None:
    """Hand `value` back to the gate from a child (see `result`)."""
    print(RESULT_MARK + json.dumps(value, default=str), flush=True)


def result(output: str) -> Any:
    """The value a child handed back with `emit`."""
    for line in output.splitlines():
        if line.startswith(RESULT_MARK):
            return json.loads(line.removeprefix(RESULT_MARK))
    raise GateError(f"the child handed nothing back:\n{tail(output)}")


def tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.splitlines()[-lines:])


def errors_in(log: Path) -> list[str]:
    """Each traceback in a log, with the lines before it that say which request or task it
    was, and each logged 500 or killed worker that came without one."""
    lines = log.read_text(errors="replace").splitlines()
    found: list[str] = []
    covered: set[int] = set()
    for start, line in enumerate(lines):
        if line != TRACEBACK:
            continue
        end = start + 1
        while end < len(lines) and (lines[end].startswith((" ", "\t")) or not lines[end]):
            end += 1
        shown = range(max(0, start - 3), min(len(lines), end + 2))
        covered.update(shown)
        found.append("\n".join(lines[index] for index in shown))
    found += [
        line
        for index, line in enumerate(lines)
        if index not in covered and any(marker in line for marker in ERROR_LINES)
    ]
    return found


def procfile_command(process: str, options: Sequence[str] = ()) -> str:
    """The Procfile's shell command for `process`, with `options` appended to it."""
    command = str(parse_procfile((REPO / "Procfile").read_text()).processes[process])
    return " ".join([command, *map(shlex.quote, options)])


@dataclass
class Process:
    """A child leading a process group of its own, its output in a log file."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    url: str = ""  # a web server's, http://127.0.0.1:<port>

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 30) -> str:
        return tail(self.log.read_text(errors="replace"), lines)

    def _gone(self) -> GateError:
        code = self.popen.returncode
        return GateError(f"{self.name} exited ({code}); the end of its log:\n{self.tail()}")

    def wait_http(self, path: str, timeout: float = 90) -> None:
        """Until GET `path` answers 200."""
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.url, timeout=5) as client:
            while time.monotonic() < deadline:
                if not self.alive():
                    raise self._gone()
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(path).status_code == 200:
                        return
                time.sleep(0.5)
        raise GateError(
            f"{self.name}: {path} did not answer 200 in {timeout:.0f} s:\n{self.tail()}"
        )

    def wait_log(self, text: str, timeout: float = 60) -> None:
        """Until `text` is in the log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise self._gone()
            if text in self.log.read_text(errors="replace"):
                return
            time.sleep(0.5)
        raise GateError(f"{self.name} did not log {text!r} in {timeout:.0f} s:\n{self.tail()}")


def stop(processes: Sequence[Process], timeout: float = 15) -> None:
    """SIGTERM to each process group, then SIGKILL to what is left of it after `timeout`.
    A group is signalled even when its leader is gone: a worker may outlive its master."""
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.popen.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.popen.pid, signal.SIGKILL)
        process.popen.wait()


class Gate:
    """One run of a gate: a throwaway directory (kept when `keep_var` is set to anything),
    the environment of the site's processes in it, and every child started through it, all
    cleaned up when the `with` block ends, also on SIGINT, SIGTERM, SIGHUP and, when the run
    has a time `budget` in seconds, on the SIGALRM that ends it."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGALRM)

    def __init__(self, name: str, *, keep_var: str, budget: int | None = None) -> None:
        self.name = name
        self.keep_var = keep_var
        self.budget = budget
        self.started = time.monotonic()
        self.dir = Path(tempfile.mkdtemp(prefix=f"openlance-{name}."))
        self.env = child_env(self.dir / "var")
        self.processes: list[Process] = []
        # What else to undo at the end (a database to drop), last in, first out.
        self.cleanups = contextlib.ExitStack()

    def __enter__(self) -> Gate:
        for signum in self.SIGNALS:
            signal.signal(signum, self._on_signal)
        if self.budget:
            signal.alarm(self.budget)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        signal.alarm(0)
        # The cleanup runs to its end: a second Ctrl-C must not leave a server behind.
        handlers = {signum: signal.signal(signum, signal.SIG_IGN) for signum in self.SIGNALS}
        try:
            self.stop_processes()
            try:
                self.cleanups.close()
            except Exception as exc:  # the gate's verdict stands; say what was left behind
                print(f"{self.name}: cleanup failed: {exc!r}", file=sys.stderr)
            if os.environ.get(self.keep_var):
                self.log(f"kept {self.dir} ({self.keep_var})")
            else:
                shutil.rmtree(self.dir, ignore_errors=True)
        finally:
            for signum, handler in handlers.items():
                signal.signal(signum, handler)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        spent = " (its time budget is spent)" if signum == signal.SIGALRM else ""
        print(f"\n{self.name}: stopped by {name}{spent}", file=sys.stderr, flush=True)
        raise SystemExit(128 + signum)  # unwinds through the `with` block's cleanup

    def log(self, message: str) -> None:
        print(f"[{self.name} +{time.monotonic() - self.started:5.0f}s] {message}", flush=True)

    def start(
        self,
        name: str,
        argv: Sequence[str],
        *,
        cwd: Path = REPO,
        env: dict[str, str] | None = None,
    ) -> Process:
        """Start `argv` in a process group of its own, its output in `<dir>/<name>.log`."""
        log = self.dir / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env={**self.env, **(env or {})},
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def stop_processes(self) -> None:
        stop(self.processes)
        self.processes.clear()

    def run(
        self,
        name: str,
        argv: Sequence[str],
        *,
        timeout: float = 900,
        check: bool = True,
        cwd: Path = REPO,
    ) -> subprocess.CompletedProcess[str]:
        """Run `argv` to its end, within `timeout` seconds; its output (stdout and stderr)
        is kept in `<dir>/<name>.log` and returned. With `check`, a non-zero exit fails."""
        process = self.start(name, argv, cwd=cwd)
        try:
            code = process.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise GateError(f"{name} ran over {timeout:.0f} s:\n{process.tail()}") from None
        finally:
            stop([process])
            self.processes.remove(process)
        if check and code != 0:
            raise GateError(f"{name} failed (exit {code}):\n{process.tail()}")
        return subprocess.CompletedProcess(argv, code, process.log.read_text(errors="replace"))

    def manage(self, *args: str, timeout: float = 900) -> str:
        """`manage.py ARGS`; returns its output."""
        began = time.monotonic()
        output = self.run(args[0], [PYTHON, "manage.py", *args], timeout=timeout).stdout
        self.log(f"manage.py {args[0]}: {time.monotonic() - began:.0f} s")
        return output

    def load_demo(self, scale: str) -> str:
        """A site ready to serve: migrate, collectstatic (with DEBUG off a page needs the
        static files' manifest, or it is a 500) and `demo_load --scale SCALE`. Returns the
        demo's summary line."""
        self.manage("migrate", "--noinput", "--verbosity", "0")
        self.manage("collectstatic", "--noinput", "--verbosity", "0")
        output = self.manage("demo_load", "--scale", scale, "--no-progress")
        summary = [line for line in output.splitlines() if line.startswith("Demo data")]
        self.log(f"demo ({scale}): " + (summary[0][:200] if summary else "(no summary line)"))
        return output

    def web(self, name: str, *, workers: int, options: Sequence[str] = ()) -> Process:
        """gunicorn as the Procfile's web line runs it, with `workers` workers and the extra
        gunicorn `options`, on a free port of 127.0.0.1. The line is a shell command (its
        ${PORT:-8000}), run by the shell as honcho does; it execs gunicorn, so the group's
        leader is gunicorn's master."""
        port = free_port()
        process = self.start(
            name,
            ["/bin/sh", "-c", procfile_command("web", options)],
            env={"BIND_ADDRESS": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": str(workers)},
        )
        process.url = f"http://127.0.0.1:{port}"
        return process

    def worker(self, name: str, *, options: Sequence[str] = ()) -> Process:
        """The Huey consumer as the Procfile's worker line runs it, plus `options`."""
        return self.start(name, ["/bin/sh", "-c", procfile_command("worker", options)])

    def demo_tokens(
        self, name: str, *, freelancers: Sequence[int] = (), clients: Sequence[int] = ()
    ) -> list[DemoAccount]:
        """A personal access token (named `name`) for each demo account asked for by its
        number (freelancer 1 is freelancer01@...), in that order, freelancers first."""
        wanted = [("freelancer", n) for n in freelancers] + [("client", n) for n in clients]
        code = f"RESULT_MARK = {RESULT_MARK!r}\nwanted = {wanted!r}\nname = {name!r}\n"
        output = self.manage("shell", "--verbosity", "0", "--command", code + DEMO_TOKENS)
        return [DemoAccount(**account) for account in result(output)]


@dataclass(frozen=True)
class DemoAccount:
    role: str
    number: int
    user_id: int
    email: str
    password: str
    token: str


def _postgres_admin(server_url: str, statement: str, name: str) -> None:
    """`statement` on the server, with {} for the database `name` (quoted as an identifier)."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(server_url)
    with psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname=parts.path.lstrip("/") or "postgres",
        autocommit=True,
        connect_timeout=10,
    ) as conn:
        conn.execute(sql.SQL(statement).format(sql.Identifier(name)))


@contextlib.contextmanager
def postgres_database(server_url: str, name: str) -> Iterator[str]:
    """A fresh database `name` on the server of `server_url` (the user needs CREATEDB),
    dropped afterwards even with connections still open; yields its URL."""
    _postgres_admin(server_url, "CREATE DATABASE {}", name)
    try:
        yield urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    finally:
        _postgres_admin(server_url, "DROP DATABASE IF EXISTS {} WITH (FORCE)", name)
