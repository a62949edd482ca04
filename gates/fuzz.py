"""Fuzz gate: schemathesis against a live Openlance on the demo data, as a freelancer and as
a client. Every operation of /api/openapi.json is tested except the ones that would take
the run's credentials away (revoking a token, switching role). The gate fails on any server
error, any response that breaks its documented schema, and any status, content type or
header the document does not list.

    .venv/bin/python gates/fuzz.py        (or: make fuzz)

What it does, in a throwaway directory that it removes on exit (gates/_harness.py):
  1. migrate, collectstatic and `manage.py demo_load` into a fresh SQLite database (or
     DATABASE_URL);
  2. a personal access token for the first demo freelancer and the first demo client;
  3. gunicorn as in the Procfile on a free port of 127.0.0.1, stopped on exit, whatever
     happens;
  4. per role: the ids that role can see (its proposals, offers, contracts, milestones,
     conversations, ...) and the catalog's slugs, read from the API itself, become
     schemathesis dictionaries that the fuzzer mixes into path, query and body values, so
     operations reach their real logic on real objects rather than answering 404;
  5. `schemathesis run` per role: the examples, coverage, fuzzing and stateful phases, with
     the checks below and the hooks in gates/_fuzz_hooks.py (OpenAPI links from each create
     operation to the operations on what it created, which the stateful phase follows with
     the links schemathesis infers; no case whose request line is over gunicorn's limit);
  6. one summary line with the test cases run; exit status 1 on any failure (including an
     error in the server's log, or a token that stopped working during the run).

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
  FUZZ_EXAMPLES=10         test cases per operation in the fuzzing phase
  FUZZ_SEED=1              generation seed; "random" for a new one each run (printed)
  FUZZ_REPORT_DIR=var/fuzz where the JUnit, NDJSON and text reports go (kept)
  FUZZ_ROLES=freelancer,client
  FUZZ_DEMO_SCALE=full     demo_load --scale
  FUZZ_KEEP=1              keep the throwaway directory (database, server log) for a look
  DATABASE_URL             a database to use instead of SQLite (it is migrated and loaded)
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sys
import time
from collections import Counter
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx
from _fuzz_hooks import EXCLUDED_OPERATION_IDS
from _harness import REPO, Gate, GateError, env_int, errors_in

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
WORKERS = 2  # schemathesis's, as many as the server's gunicorn workers
STATEFUL_EXAMPLES = 30  # scenarios (chains of linked calls) in the stateful phase
RUN_TIMEOUT = 600  # seconds one role's schemathesis run may take

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


def api_client(base: str, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"{base}/api/v1/",
        headers={"Accept": "application/json", "Authorization": f"Bearer {token}"},
        timeout=30,
    )


# --- the ids a role can see ----------------------------------------------------------------


def harvest(api: httpx.Client) -> dict[str, list[Any]]:
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
        response = api.get(path)
        try:
            return response.json() if response.status_code == 200 else None
        except ValueError:
            return None

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
    ids: dict[str, list[Any]],
    unexpected_methods: bool,
) -> None:
    lines = [
        f"seed = {seed}",
        f"workers = {WORKERS}",
        "request-timeout = 30",
        f"hooks = {toml_value(str(Path(__file__).resolve().with_name('_fuzz_hooks.py')))}",
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
        f"max-examples = {STATEFUL_EXAMPLES}",
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
    gate: Gate, *, role: str, base: str, config: Path, report_dir: Path
) -> tuple[int, Path, str]:
    """schemathesis's exit status (non-zero on any failing check or error), its NDJSON
    report and its output."""
    ndjson = report_dir / f"{role}.ndjson"
    junit = report_dir / f"{role}.junit.xml"
    for stale in (ndjson, junit):
        stale.unlink(missing_ok=True)
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(config),
        "run",
        f"{base}/api/openapi.json",
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
    # From the throwaway directory: schemathesis and hypothesis write nothing into the repo.
    done = gate.run(f"schemathesis-{role}", command, timeout=RUN_TIMEOUT, check=False, cwd=gate.dir)
    (report_dir / f"{role}.txt").write_text(done.stdout)
    return done.returncode, ndjson, done.stdout


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


def failure_section(text: str) -> str:
    start = text.find("=== FAILURES ===")
    if start == -1:
        start = text.find("=== ERRORS ===")
    if start == -1:
        return ""
    start = text.rfind("\n", 0, start) + 1
    end = text.find("=== WARNINGS ===", start)
    return text[start : end if end != -1 else len(text)]


# --- main ----------------------------------------------------------------------------------


def main() -> int:
    examples = env_int("FUZZ_EXAMPLES", 10)
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
    version = f"schemathesis {metadata.version('schemathesis')}"

    totals: dict[str, int] = {}
    failed: list[str] = []
    with Gate("fuzz", keep_var="FUZZ_KEEP") as gate:
        # Of the caller's settings, the site gets this one only (see the harness's child_env).
        database = "SQLite"
        if url := os.environ.get("DATABASE_URL"):
            gate.env["DATABASE_URL"] = url
            database = "DATABASE_URL"
        server = None
        try:
            gate.log(f"{version}; seed {seed}; {examples} examples per operation; {database}")
            gate.load_demo(os.environ.get("FUZZ_DEMO_SCALE", "full"))
            accounts = {
                account.role: account
                for account in gate.demo_tokens("fuzz gate", freelancers=[1], clients=[1])
            }
            server = gate.web("server", workers=WORKERS)
            server.wait_http("/api/openapi.json")
            gate.log(f"server: gunicorn, {WORKERS} workers, {server.url}")
            for role in roles:
                account = accounts[role]
                with api_client(server.url, account.token) as api:
                    me = api.get("me")
                    if me.status_code != 200 or role not in me.json().get("roles", []):
                        raise GateError(f"{role}: GET /api/v1/me answered {me.status_code}")
                    ids = harvest(api)
                gate.log(
                    f"{role} ({account.email}): ids from the demo data: "
                    + ", ".join(f"{name} {len(v)}" for name, v in ids.items())
                )
                config = gate.dir / f"{role}.toml"
                write_config(
                    config,
                    token=account.token,
                    seed=seed,
                    examples=examples,
                    ids=ids,
                    unexpected_methods=role == roles[0],
                )
                role_started = time.monotonic()
                code, ndjson, output = run_schemathesis(
                    gate, role=role, base=server.url, config=config, report_dir=report_dir
                )
                elapsed = time.monotonic() - role_started
                cases, statuses, tested, succeeded = count_cases(ndjson)
                totals[role] = sum(cases.values())
                gate.log(
                    f"{role}: {totals[role]} test cases ("
                    + ", ".join(f"{phase} {n}" for phase, n in cases.items())
                    + f") in {elapsed:.0f} s; responses "
                    + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()))
                    + f"; {len(succeeded)} of {len(tested)} operations answered a 2xx"
                )
                problems = []
                if code != 0:
                    problems.append(f"schemathesis exit {code}")
                if not cases:
                    problems.append("no test case was run")
                with api_client(server.url, account.token) as api:
                    status = api.get("me").status_code
                if status != 200:
                    problems.append(f"the token stopped authenticating during the run ({status})")
                if not server.alive():
                    problems.append("the server died during the run")
                if problems:
                    failed.append(role)
                    print(failure_section(output) or output[-6000:], flush=True)
                    gate.log(f"{role}: FAILED: " + "; ".join(problems))
            gate.stop_processes()  # the whole log written
            if errors := errors_in(server.log):
                failed.append("server log")
                gate.log(f"the server logged {len(errors)} errors; the first:")
                print("\n\n".join(errors[:3]), flush=True)
        except (GateError, httpx.HTTPError) as error:
            gate.log(f"ERROR: {error}")
            failed.append("setup")
        finally:
            gate.stop_processes()
            if server is not None:
                shutil.copy(server.log, report_dir / "server.log")

    minutes = (time.monotonic() - gate.started) / 60
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
