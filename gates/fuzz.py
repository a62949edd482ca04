"""Fuzz gate: schemathesis against a live Openlance on the demo data, as a freelancer and as
a client. Every operation of /api/openapi.json is tested except the ones that would take
the run's credentials away (revoking a token, switching role). The gate fails on any server
error, any response that breaks its documented schema, and any status, content type or
header the document does not list.

    .venv/bin/python gates/fuzz.py        (or: make fuzz)

What it does, in a throwaway directory (mktemp) that it removes on exit:
  1. migrate and `manage.py demo_load` into a fresh SQLite database (or DATABASE_URL);
  2. a personal access token for the first demo freelancer and the first demo client;
  3. gunicorn as in the Procfile on 127.0.0.1:$FUZZ_PORT, stopped on exit, whatever happens;
  4. per role: the ids that role can see (its proposals, offers, contracts, milestones,
     conversations, ...) and the catalog's slugs, read from the API itself, become
     schemathesis dictionaries that the fuzzer mixes into path, query and body values, so
     operations reach their real logic on real objects rather than answering 404;
  5. `schemathesis run` per role: the examples, coverage, fuzzing and stateful phases, with
     the checks below. This file is also the run's hooks module: it adds OpenAPI links
     from each create operation to the operations on what it created (the stateful phase
     follows them, with the links schemathesis infers), and leaves out the rare case whose
     request line is over gunicorn's limit (see MAX_TARGET_SENT);
  6. one summary line with the test cases run; exit status 1 on any failure (including a
     500 in the server's log, or a token that stopped working during the run).

Checks: not_a_server_error, status_code_conformance, content_type_conformance,
response_headers_conformance and response_schema_conformance (the contract), and
ignored_auth, unsupported_method, allow_header_conformance, missing_required_header,
use_after_free and ensure_resource_availability (cheap, and exact for this API). Left out,
because they fail on correct behaviour here: positive_data_acceptance (the services refuse
schema-valid input for reasons a schema cannot say: the wrong role, the object's state, a
date before another), negative_data_rejection (pydantic's documented lax conversions accept
e.g. 0 for false and "5" for 5, which the schema does not list), and
object_level_authorization (needs two identities' objects paired up; the access-matrix
tests cover it).

Environment (all optional):
  FUZZ_PORT=18111          port of the server under test (refused if already in use)
  FUZZ_EXAMPLES=10         test cases per operation in the fuzzing phase
  FUZZ_STATEFUL_EXAMPLES=30  scenarios (chains of linked calls) in the stateful phase
  FUZZ_SEED=1              generation seed; "random" for a new one each run (printed)
  FUZZ_WORKERS=2           schemathesis workers (the server runs WEB_CONCURRENCY=2 workers)
  FUZZ_RUN_TIMEOUT=600     seconds one role's run may take before it is stopped and fails
  FUZZ_PHASES=examples,coverage,fuzzing,stateful
  FUZZ_REPORT_DIR=var/fuzz where the JUnit, NDJSON and text reports go (kept)
  FUZZ_ROLES=freelancer,client
  FUZZ_DEMO_SCALE=full     demo_load --scale
  FUZZ_KEEP=1              keep the throwaway directory (database, server log) for a look
  DATABASE_URL             a database to use instead of SQLite (it is migrated and loaded)
"""

# ruff: noqa: S603, S310

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEV_SECRET_KEY = "django-insecure-openlance-make-targets-development-only-0123456789"

# Operations that would end the run's own authentication: revoking a token (it may be the
# one in use) and switching role (a freelancer would be testing as a client).
EXCLUDED_OPERATION_IDS = (
    "openlance_accounts_api_tokens_revoke",
    "openlance_accounts_api_me_switch_role",
)
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "ignored_auth",
    "unsupported_method",
    "allow_header_conformance",
    "missing_required_header",
    "use_after_free",
    "ensure_resource_availability",
)
PHASES = "examples,coverage,fuzzing,stateful"  # all of schemathesis's phases

# Where each role's ids come from: (path, the parameter an item's own "id" is).
HARVEST = (
    ("me", "user_id"),
    ("me/freelancer", None),
    ("me/client-profile", None),
    ("me/jobs?page_size=100", "job_id"),
    ("proposals?page_size=100", "proposal_id"),
    ("invitations?page_size=100", "invitation_id"),
    ("offers?page_size=100", "offer_id"),
    ("contracts?page_size=100", "contract_id"),
    ("conversations?page_size=100", "conversation_id"),
    ("payouts?page_size=100", "payout_id"),
    ("payouts/methods", "method_id"),
    ("me/verifications", "verification_id"),
)
# Public lists: only their own ids are taken (their other ids are other people's).
HARVEST_OWN_ONLY = (
    ("search/jobs?page_size=30", "id", "job_id"),
    ("search/freelancers?page_size=30", "user_id", "user_id"),
    ("search/freelancers?page_size=30", "user_id", "freelancer_id"),
)
# A nested object's "id", by the key that holds it.
CONTAINED_ID = {
    "milestones": "milestone_id",
    "amendments": "amendment_id",
    "profiles": "profile_id",
    "portfolio": "item_id",
    "assessments": "item_id",
    "employment": "item_id",
    "education": "item_id",
    "other_experience": "item_id",
    "attachments": "attachment_id",
    "files": "attachment_id",
    "members": "user_id",
    "sender": "user_id",
    "client": "user_id",
    "freelancer": "user_id",
    "method": "method_id",
}
HISTORY_KINDS = ("assessment", "employment", "education", "other_experience")
# Dictionaries also bound in request bodies (path and query parameters bind by bare name).
BODY_BINDINGS = {
    "job_id": "body.job_id",
    "proposal_id": "body.proposal_id",
    "freelancer_id": "body.freelancer_id",
    "method_id": "body.method_id",
    "profile_id": "body.profile_id",
    "category": "body.category",
    "skills": "body.skills[*]",
}
MAX_VALUES = 40  # values per dictionary at most (a random sample of more)
DICTIONARY_PROBABILITY = 0.5  # how often a bound parameter takes a dictionary value
# Django logs "Internal Server Error: <path>" for every 500 it answers (the API's last-resort
# handler logs its traceback just before); gunicorn logs a worker it killed for slowness.
SERVER_ERRORS = ("Internal Server Error:", "WORKER TIMEOUT")
TRACEBACK_START = "Unhandled API error"


class GateError(Exception):
    pass


def log(message: str) -> None:
    print(f"[fuzz] {message}", flush=True)


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    try:
        return int(value) if value else default
    except ValueError:
        raise GateError(f"{name} must be a whole number, not {value!r}") from None


# --- the server ----------------------------------------------------------------------------


class Server:
    """gunicorn as the Procfile runs it, in a process group of its own, stopped on exit."""

    def __init__(self, port: int, env: dict[str, str], log_path: Path) -> None:
        self.port = port
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self.base = f"http://127.0.0.1:{port}"

    def start(self) -> None:
        if port_in_use(self.port):
            raise GateError(f"port {self.port} is in use: set FUZZ_PORT to a free one")
        workers = self.env.get("WEB_CONCURRENCY", "2")
        command = [
            str(BIN / "gunicorn"),
            "openlance.wsgi",
            "--limit-request-line",
            "8190",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            workers,
            "--access-logfile",
            "-",
            "--graceful-timeout",
            "5",
            "--no-control-socket",
        ]
        with self.log_path.open("wb") as out:
            self.process = subprocess.Popen(
                command,
                cwd=REPO,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise GateError(f"gunicorn exited ({self.process.returncode}):\n{self.tail()}")
            try:
                status, _ = http_get(f"{self.base}/api/openapi.json")
                if status == 200:
                    log(f"server: gunicorn, {workers} workers, {self.base}")
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise GateError(f"the server did not answer within 60 s:\n{self.tail()}")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        # Its own process group (start_new_session): the master and its workers, nothing
        # else; signalled even if the master is gone, in case a worker outlived it.
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        log("server: stopped")

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def errors_logged(self) -> tuple[int, list[str]]:
        """How many 500s (and killed workers) the server logged, and the first few with
        their tracebacks (the access log's lines left out)."""
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return 0, []
        count = sum(1 for line in lines if any(marker in line for marker in SERVER_ERRORS))
        shown: list[str] = []
        for index, line in enumerate(lines):
            if len(shown) < 3 and (TRACEBACK_START in line or "WORKER TIMEOUT" in line):
                after = [x for x in lines[index : index + 80] if not x.startswith("127.0.0.1 ")]
                shown.append("\n".join(after[:40]))
        return count, shown


def die_with_parent() -> None:
    """preexec_fn: the child gets SIGTERM when this driver dies, even by SIGKILL (Linux)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def http_get(url: str, token: str | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        return error.code, None
    try:
        return status, json.loads(body)
    except ValueError:
        return status, None


# --- setup ---------------------------------------------------------------------------------


def manage(env: dict[str, str], *args: str) -> None:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise GateError(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    log(f"manage.py {args[0]}: {time.monotonic() - started:.0f} s")


TOKENS_SNIPPET = """
import json
import django
django.setup()
from openlance.accounts.models import User
from openlance.accounts.services import token_create
from openlance.web.management.commands.demo_load import client_email, freelancer_email
tokens = {}
for role, email in (("freelancer", freelancer_email(1)), ("client", client_email(1))):
    user = User.objects.get(email=email)
    token, secret = token_create(user=user, name="fuzz gate")
    tokens[role] = {"email": email, "token": secret}
print("TOKENS " + json.dumps(tokens))
"""


def create_tokens(env: dict[str, str]) -> dict[str, dict[str, str]]:
    """The tokens are made by the service the tokens API uses, for demo_load's accounts."""
    result = subprocess.run(
        [sys.executable, "-c", TOKENS_SNIPPET],
        cwd=REPO,
        env={**env, "DJANGO_SETTINGS_MODULE": "openlance.settings"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    for line in result.stdout.splitlines():
        if line.startswith("TOKENS "):
            tokens: dict[str, dict[str, str]] = json.loads(line[len("TOKENS ") :])
            return tokens
    raise GateError(f"could not create the tokens:\n{result.stdout}{result.stderr}")


# --- the ids a role can see ----------------------------------------------------------------


def harvest(base: str, token: str) -> dict[str, list[Any]]:
    """Ids and kinds to mix into the generated requests, read from the role's own lists."""
    found: dict[str, set[Any]] = {}

    def add(name: str, value: Any) -> None:
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            found.setdefault(name, set()).add(value)

    def walk(node: Any, own: str | None, container: str | None = None) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item, own, container)
            return
        if not isinstance(node, dict):
            return
        target = CONTAINED_ID.get(container) if container else own
        if target and "id" in node:
            add(target, node["id"])
        for key, value in node.items():
            if key.endswith("_id"):
                add(key, value)
            elif isinstance(value, dict | list):
                walk(value, own, None if key == "items" and container is None else key)

    def fetch(path: str) -> Any:
        status, data = http_get(f"{base}/api/v1/{path}", token)
        return data if status == 200 else None

    for path, own in HARVEST:
        walk(fetch(path), own)
    for path, key, name in HARVEST_OWN_ONLY:
        for item in (fetch(path) or {}).get("items", []):
            add(name, item.get(key))
    # One level down: a contract's milestones and amendments, a conversation's attachments,
    # the proposals on a client's jobs, a job's attachments.
    for contract_id in sorted(found.get("contract_id", ()))[:15]:
        walk(fetch(f"contracts/{contract_id}"), "contract_id")
    for conversation_id in sorted(found.get("conversation_id", ()))[:10]:
        walk(fetch(f"conversations/{conversation_id}/messages?page_size=100"), None)
    for job in (fetch("me/jobs?page_size=100") or {}).get("items", [])[:10]:
        walk(fetch(f"jobs/{job['id']}/proposals?page_size=100"), "proposal_id")
        walk(fetch(f"jobs/{job['id']}"), "job_id")
    kinds = set(HISTORY_KINDS)
    for policy in fetch("policies") or []:
        if isinstance(policy, dict) and isinstance(policy.get("kind"), str):
            kinds.add(policy["kind"])
    found["kind"] = kinds
    # The catalog's slugs, which a job post or a search names.
    for path, name in (("categories", "category"), ("skills", "skills")):
        slugs = {item.get("slug") for item in fetch(path) or [] if isinstance(item, dict)}
        found[name] = {slug for slug in slugs if isinstance(slug, str) and slug}
    rng = random.Random(0)  # noqa: S311 - a stable sample, not a secret
    values: dict[str, list[Any]] = {}
    for name, ids in sorted(found.items()):
        ordered = sorted(ids, key=str)
        if len(ordered) > MAX_VALUES:
            ordered = sorted(rng.sample(ordered, MAX_VALUES), key=str)
        values[name] = ordered
    return values


# --- schemathesis --------------------------------------------------------------------------


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string is JSON's string syntax
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    raise TypeError(value)


def write_config(
    path: Path,
    *,
    token: str,
    seed: int,
    examples: int,
    workers: int,
    ids: dict[str, list[Any]],
    unexpected_methods: bool,
    stateful_examples: int,
) -> None:
    lines = [
        f"seed = {seed}",
        f"workers = {workers}",
        "request-timeout = 30",
        f"hooks = {toml_value(str(Path(__file__).resolve()))}",
        "[cache]",
        "enabled = false",
        "[generation]",
        f"max-examples = {examples}",
        'database = "none"',
        # Authentication is the role's token, never generated: a random sessionid cookie
        # or bearer value would only test the 401 path, on every case.
        "with-security-parameters = false",
        "[auth.openapi.BearerTokenAuth]",
        f"bearer = {toml_value(token)}",
        "[checks]",
        "enabled = false",
    ]
    # Chains of calls through the links: valid data only, or the first step fails and the
    # chain ends there (invalid data is the other phases' work).
    lines += [
        "[phases.stateful.generation]",
        'mode = "positive"',
        f"max-examples = {stateful_examples}",
    ]
    if not unexpected_methods:
        # Methods an endpoint does not take are answered (405) before any authentication,
        # the same for every caller: the first role's run sends them, the others need not.
        lines += ["[phases.coverage]", "unexpected-methods = []"]
    for check in CHECKS:
        lines += [f"[checks.{check}]", "enabled = true"]
    for name, values in ids.items():
        if values:
            lines += [f"[dictionaries.{name}]", f"values = {toml_value(values)}"]
    lines.append("[parameters]")
    for name, values in ids.items():
        if not values:
            continue
        binding = f'{{ dictionary = "{name}", probability = {DICTIONARY_PROBABILITY} }}'
        lines.append(f"{toml_value(name)} = {binding}")
        if name in BODY_BINDINGS:
            lines.append(f"{toml_value(BODY_BINDINGS[name])} = {binding}")
    path.write_text("\n".join(lines) + "\n")


def run_schemathesis(
    *, role: str, base: str, config: Path, phases: str, report_dir: Path, timeout: int, work: Path
) -> tuple[int, Path, Path, str]:
    junit = report_dir / f"{role}.junit.xml"
    ndjson = report_dir / f"{role}.ndjson"
    text = report_dir / f"{role}.txt"
    for stale in (junit, ndjson, text):
        stale.unlink(missing_ok=True)
    command = [
        str(BIN / "schemathesis"),
        "--config-file",
        str(config),
        "run",
        f"{base}/api/openapi.json",
        "--phases",
        phases,
        "--report",
        "junit,ndjson",
        "--report-junit-path",
        str(junit),
        "--report-ndjson-path",
        str(ndjson),
        "--no-color",
    ]
    for operation_id in EXCLUDED_OPERATION_IDS:
        command += ["--exclude-operation-id", operation_id]
    with text.open("w") as out:
        process = subprocess.Popen(
            command,
            cwd=work,  # schemathesis and hypothesis write nothing into the repository
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise GateError(f"{role}: schemathesis ran over FUZZ_RUN_TIMEOUT={timeout} s") from None
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    return code, junit, ndjson, text.read_text(errors="replace")


def count_cases(ndjson: Path) -> tuple[Counter[str], Counter[str], set[str], set[str]]:
    """Test cases per phase, responses per status class, and the operations tested outside
    the stateful phase / those of them that answered a 2xx at least once."""
    cases: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    tested: set[str] = set()
    succeeded: set[str] = set()
    if not ndjson.exists():
        return cases, statuses, tested, succeeded
    with ndjson.open() as lines:
        for line in lines:
            if not line.startswith('{"ScenarioFinished"'):
                continue
            scenario = json.loads(line)["ScenarioFinished"]
            phase = scenario.get("phase", "?")
            recorder = scenario.get("recorder") or {}
            label = recorder.get("label", "")
            cases[phase] += len(recorder.get("cases") or {})
            for interaction in (recorder.get("interactions") or {}).values():
                status = (interaction.get("response") or {}).get("status_code")
                if status is None:
                    continue
                statuses[f"{status // 100}xx"] += 1
                if phase != "stateful" and label:
                    tested.add(label)
                    if 200 <= status < 300:
                        succeeded.add(label)
    return cases, statuses, tested, succeeded


def junit_failures(junit: Path) -> int:
    if not junit.exists():
        return -1
    root = ET.parse(junit).getroot()  # noqa: S314 - schemathesis's own report
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    return sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)


def failure_section(text: str) -> str:
    start = text.find("=== FAILURES ===")
    if start == -1:
        start = text.find("=== ERRORS ===")
    if start == -1:
        return ""
    start = text.rfind("\n", 0, start) + 1
    end = text.find("=== WARNINGS ===", start)
    return text[start : end if end != -1 else len(text)]


# --- schemathesis hooks (this file, loaded by schemathesis as its hooks module) ------------

# gunicorn refuses a request line over its --limit-request-line (8190, the Procfile's) with
# an HTML 414 of its own, before Django: outside the API's contract (whose problem+json 414
# answers targets over 4096 bytes, well under it). Cases that long are not sent.
MAX_TARGET_SENT = 8000


def add_links(raw_schema: dict[str, Any]) -> int:
    """OpenAPI links from each operation that creates an object (a 2xx with an `id`) to the
    operations on that object, for the stateful phase: from `POST /a` to `/a/{x}...`, and
    from `POST .../b` to `/api/v1/b/{x}...` (a proposal made on a job, an amendment on a
    contract), the new object's id in {x} and the request's own path ids in the others."""
    components = raw_schema.get("components", {}).get("schemas", {})
    operations = [
        (path, method, operation)
        for path, item in raw_schema.get("paths", {}).items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "responses" in operation
    ]

    def has_id(response: dict[str, Any]) -> bool:
        schema = response.get("content", {}).get("application/json", {}).get("schema", {})
        ref = schema.get("$ref", "")
        if ref.startswith("#/components/schemas/"):
            schema = components.get(ref.rsplit("/", 1)[-1], {})
        return "id" in schema.get("properties", {})

    def params(path: str) -> list[str]:
        return [part[1:-1] for part in path.split("/") if part.startswith("{")]

    added = 0
    for path, method, operation in operations:
        if method != "post":
            continue
        created = [
            response
            for status, response in operation["responses"].items()
            if str(status).startswith("2") and has_id(response)
        ]
        if not created:
            continue
        static = [part for part in path.split("/") if part and not part.startswith("{")]
        prefixes = [path + "/{"]
        if params(path):
            prefixes.append(f"/api/v1/{static[-1]}/{{")
        for target_path, _, target in operations:
            prefix = next((p for p in prefixes if target_path.startswith(p)), None)
            target_id = target.get("operationId")
            if prefix is None or target_id is None or target_id in EXCLUDED_OPERATION_IDS:
                continue
            new_id, *others = params(target_path[len(prefix) - 1 :])
            if any(name not in params(path) for name in others):
                continue
            values = {name: f"$request.path.{name}" for name in params(target_path)}
            values[new_id] = "$response.body#/id"
            for response in created:
                links = response.setdefault("links", {})
                links[target_id] = {"operationId": target_id, "parameters": values}
                added += 1
    return added


def register_hooks() -> None:
    import requests
    import schemathesis

    @schemathesis.hook
    def before_load_schema(context: Any, raw_schema: dict[str, Any]) -> None:
        add_links(raw_schema)

    @schemathesis.hook
    def filter_case(context: Any, case: Any) -> bool:
        kwargs = case.as_transport_kwargs(base_url="http://127.0.0.1")
        request = requests.Request("GET", kwargs["url"], params=kwargs.get("params")).prepare()
        return len(request.path_url or "") <= MAX_TARGET_SENT


if __name__ == "_schemathesis_hooks":
    register_hooks()


# --- main ----------------------------------------------------------------------------------


def main() -> int:
    started = time.monotonic()
    port = env_int("FUZZ_PORT", 18111)
    examples = env_int("FUZZ_EXAMPLES", 10)
    stateful_examples = env_int("FUZZ_STATEFUL_EXAMPLES", 30)
    workers = env_int("FUZZ_WORKERS", 2)
    timeout = env_int("FUZZ_RUN_TIMEOUT", 600)
    phases = os.environ.get("FUZZ_PHASES") or PHASES
    seed_setting = os.environ.get("FUZZ_SEED", "1")
    if seed_setting == "random":
        seed = random.SystemRandom().randrange(2**31)
    else:
        seed = env_int("FUZZ_SEED", 1)
    roles = [r for r in os.environ.get("FUZZ_ROLES", "freelancer,client").split(",") if r]
    if unknown := set(roles) - {"freelancer", "client"}:
        raise GateError(f"FUZZ_ROLES: unknown roles {sorted(unknown)}")
    report_dir = Path(os.environ.get("FUZZ_REPORT_DIR") or REPO / "var" / "fuzz").resolve()
    report_dir.mkdir(parents=True, exist_ok=True)
    if not (BIN / "schemathesis").exists():
        raise GateError(f"schemathesis is not installed in {BIN.parent}")
    version = subprocess.run(
        [str(BIN / "schemathesis"), "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()

    work = Path(tempfile.mkdtemp(prefix="openlance-fuzz."))
    env = {
        **os.environ,
        "OPENLANCE_VAR_DIR": str(work / "var"),
        "SECRET_KEY": os.environ.get("SECRET_KEY") or DEV_SECRET_KEY,
        "DEBUG": "false",
        "PYTHONUNBUFFERED": "1",
    }
    # The cache (rate-limit counts) and the task queue go to the throwaway database too.
    env.pop("REDIS_URL", None)
    database = "DATABASE_URL" if os.environ.get("DATABASE_URL") else "SQLite"
    server = Server(port, env, work / "server.log")

    def on_signal(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)  # unwinds through the finally below

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, on_signal)

    totals: dict[str, int] = {}
    failed: list[str] = []
    try:
        log(f"{version}; seed {seed}; {examples} examples per operation; {database} in {work}")
        manage(env, "migrate", "--noinput", "--verbosity", "0")
        scale = os.environ.get("FUZZ_DEMO_SCALE", "full")
        manage(env, "demo_load", "--scale", scale, "--no-progress", "--verbosity", "0")
        tokens = create_tokens(env)
        server.start()
        for role in roles:
            token = tokens[role]["token"]
            status, me = http_get(f"{server.base}/api/v1/me", token)
            if status != 200 or role not in (me or {}).get("roles", []):
                raise GateError(f"{role}: GET /api/v1/me answered {status}, {me!r}")
            ids = harvest(server.base, token)
            log(
                f"{role} ({tokens[role]['email']}): ids from the demo data: "
                + ", ".join(f"{name} {len(v)}" for name, v in ids.items())
            )
            config = work / f"{role}.toml"
            write_config(
                config,
                token=token,
                seed=seed,
                examples=examples,
                workers=workers,
                ids=ids,
                unexpected_methods=role == roles[0],
                stateful_examples=stateful_examples,
            )
            role_started = time.monotonic()
            code, junit, ndjson, output = run_schemathesis(
                role=role,
                base=server.base,
                config=config,
                phases=phases,
                report_dir=report_dir,
                timeout=timeout,
                work=work,
            )
            elapsed = time.monotonic() - role_started
            cases, statuses, tested, succeeded = count_cases(ndjson)
            failures = junit_failures(junit)
            totals[role] = sum(cases.values())
            log(
                f"{role}: {totals[role]} test cases ("
                + ", ".join(f"{phase} {n}" for phase, n in cases.items())
                + f") in {elapsed:.0f} s; responses "
                + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()))
                + f"; {len(succeeded)} of {len(tested)} operations answered a 2xx"
            )
            problems = []
            if code != 0 or failures != 0:
                problems.append(f"schemathesis exit {code}, {failures} failing in JUnit")
            if not cases:
                problems.append("no test case was run")
            status, _ = http_get(f"{server.base}/api/v1/me", token)
            if status != 200:
                problems.append(f"the token stopped authenticating during the run ({status})")
            if not server.alive():
                problems.append("the server died during the run")
            if problems:
                failed.append(role)
                print(failure_section(output) or output[-6000:], flush=True)
                log(f"{role}: FAILED: " + "; ".join(problems))
        count, shown = server.errors_logged()
        if count:
            failed.append("server log")
            log(f"the server logged {count} server errors; the first:")
            print("\n\n".join(shown), flush=True)
    except GateError as error:
        log(f"ERROR: {error}")
        failed.append("setup")
    finally:
        server.stop()
        if server.log_path.exists():
            shutil.copy(server.log_path, report_dir / "server.log")
        if os.environ.get("FUZZ_KEEP"):
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    minutes = (time.monotonic() - started) / 60
    counted = ", ".join(f"{role} {n}" for role, n in totals.items()) or "none"
    verdict = "FAILED (" + ", ".join(failed) + ")" if failed else "passed"
    print(
        f"fuzz: {verdict}: {sum(totals.values())} test cases ({counted}), {examples} examples "
        f"per operation, seed {seed}, {minutes:.1f} min; reports in {report_dir}",
        flush=True,
    )
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except GateError as error:
        print(f"fuzz: FAILED: {error}", file=sys.stderr)
        sys.exit(1)
