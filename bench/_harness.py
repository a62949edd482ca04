"""What the benchmarks here share: run a measuring half in a child process against a
throwaway database, and print a table. The gates' harness creates and drops that database on
a PostgreSQL server (`postgres_database`) and serves the site as the Procfile does (`Gate`,
`errors_in`): those are theirs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
# gates/ is not a package: from the repository's root it imports as a namespace package.
sys.path.insert(0, str(ROOT))

from gates._harness import Gate, GateError, errors_in, postgres_database  # noqa: E402

__all__ = [
    "ROOT",
    "Gate",
    "GateError",
    "errors_in",
    "markdown_table",
    "postgres_database",
    "run_child",
    "start_child",
]


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


def markdown_table(header: list[str], rows: list[list[str]]) -> list[str]:
    """The lines of a Markdown table, columns padded to line up in a terminal too."""
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    return [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)]
