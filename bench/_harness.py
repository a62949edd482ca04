"""What every benchmark here shares: run its measuring half in a child process against a
throwaway database, and create and drop that database on a PostgreSQL server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def _child_env(database_url: str, var_dir: str) -> dict[str, str]:
    env = dict(os.environ, DATABASE_URL=database_url, OPENLANCE_VAR_DIR=var_dir)
    env.pop("REDIS_URL", None)  # the benches measure the database, not the cache
    env["LOG_LEVEL"] = "WARNING"
    env["DEBUG"] = "false"  # no per-query logging in memory
    # With DEBUG off the settings refuse to start without a key (`make bench` passes one).
    env.setdefault("SECRET_KEY", "django-insecure-openlance-bench-development-only-0123456789")
    return env


def run_child(script: str, args: list[str], database_url: str, var_dir: str) -> dict[str, Any]:
    """Run `script --child ARGS` on `database_url`; it prints its result as a JSON line."""
    result = subprocess.run(  # noqa: S603 (our own script, run with this interpreter)
        [sys.executable, script, "--child", *args],
        env=_child_env(database_url, var_dir),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"bench child failed on {urlsplit(database_url).scheme}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def start_child(
    script: str, args: list[str], database_url: str, var_dir: str, stderr: IO[str]
) -> subprocess.Popen[str]:
    """Start `script --child ARGS` on `database_url` with its stdin and stdout piped to us,
    for children that must start measuring together: the parent reads a line from each when
    it is ready and writes a line back to let it go."""
    return subprocess.Popen(  # noqa: S603 (our own script, run with this interpreter)
        [sys.executable, script, "--child", *args],
        env=_child_env(database_url, var_dir),
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )


def _postgres_admin(url: str, sql: str) -> None:
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname=parts.path.lstrip("/") or "postgres",
        autocommit=True,
    ) as conn:
        conn.execute(sql)  # type: ignore[arg-type]  (a literal we built)


@contextmanager
def postgres_database(server_url: str, name: str) -> Iterator[str]:
    """A fresh database `name` on the server of `server_url` (the user needs CREATEDB),
    dropped afterwards; yields its URL."""
    _postgres_admin(server_url, f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    finally:
        _postgres_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
