"""The child process of `test_crash_safety`: real Openlance code, in a process of its own,
against the test's database, that can be stopped dead at a named point so that the test can
SIGKILL it there.

    python -m openlance.billing.tests.crash_child MODE SPEC_JSON

No application file is edited: the child swaps the sandbox adapter for a subclass
that keeps a journal of every call outside the database (a real provider remembers what it
did whether or not our transaction commits; the sandbox's own `SandboxOperation` rows share
our database) and that can stop around the call.

Environment, set by the test: `DATABASE_URL` (the test database), `OPENLANCE_VAR_DIR` (where
the Huey queue file lives), `CRASH_JOURNAL` (the file journal lines are appended to, one JSON
object a line, fsynced) and `CRASH_AT` (the point to stop at, or empty):

- `charge.before`, `charge.after`, `payout.before`, `payout.after`: just before the sandbox
  is asked, or just after it answered and before the caller has booked anything;
- `fund.before_escrow`: a milestone's card charge is booked into the client's balance and
  the escrow is not funded yet, both in one transaction still open.

At the point the child journals `{"event": "stopped", ...}` and sleeps; it never goes past it.

Modes (SPEC is a JSON object):

- `payout_run`: the payout jobs the worker runs, `SPEC["jobs"]` in order
  (`scheduled_withdrawals`, `payout_status_sync`), with the clock at `SPEC["at"]`.
- `fund`: one POST /api/v1/milestones/{SPEC["milestone_id"]}/fund per item of
  `SPEC["attempts"]` (`at`, `key` for the Idempotency-Key, `payment_method`), with the
  Bearer `SPEC["token"]`, through the whole middleware stack; each answer is printed as a
  JSON line.
- `worker`: enqueues `SPEC["enqueue"]` (task names in `openlance.billing.tasks`), then runs
  the Huey consumer as the Procfile's worker line does (plus `--no-periodic`, so that the
  scheduler adds nothing of its own), with the clock at `SPEC["at"]`. Huey's signals are
  journaled (`{"event": "huey", "signal": ..., "task": ...}`).
"""

from __future__ import annotations

import importlib
import json
import os
import shlex
import sys
import time
from datetime import datetime
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openlance.settings")
django.setup()

from openlance.billing.gateway import (  # noqa: E402
    ChargeResult,
    PayoutResult,
    SandboxGateway,
)
from openlance.core.money import Money  # noqa: E402

STOP_SECONDS = 60
STOP_EXIT = 86  # only reached when nobody killed the child at its point


def journal(**entry: Any) -> None:
    """Append one line to the journal, durably, before going on."""
    line = json.dumps({"pid": os.getpid(), **entry}, default=str) + "\n"
    fd = os.open(os.environ["CRASH_JOURNAL"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def point(name: str, **details: Any) -> None:
    if os.environ.get("CRASH_AT") != name:
        return
    journal(event="stopped", point=name, **details)
    time.sleep(STOP_SECONDS)
    os._exit(STOP_EXIT)


class JournaledSandboxGateway(SandboxGateway):
    """The sandbox, with every call journaled and the crash points around it."""

    def charge(
        self, *, amount: Money, payment_method: str, idempotency_key: str, description: str
    ) -> ChargeResult:
        journal(
            event="gateway", call="charge", stage="before", key=idempotency_key, cents=amount.cents
        )
        point("charge.before", key=idempotency_key)
        result = super().charge(
            amount=amount,
            payment_method=payment_method,
            idempotency_key=idempotency_key,
            description=description,
        )
        journal(
            event="gateway",
            call="charge",
            stage="after",
            key=idempotency_key,
            cents=result.amount.cents,
            reference=result.reference,
            status=str(result.status),
        )
        point("charge.after", key=idempotency_key)
        return result

    def payout(self, *, amount: Money, destination: str, idempotency_key: str) -> PayoutResult:
        journal(
            event="gateway", call="payout", stage="before", key=idempotency_key, cents=amount.cents
        )
        point("payout.before", key=idempotency_key)
        result = super().payout(
            amount=amount, destination=destination, idempotency_key=idempotency_key
        )
        journal(
            event="gateway",
            call="payout",
            stage="after",
            key=idempotency_key,
            cents=result.amount.cents,
            reference=result.reference,
            status=str(result.status),
        )
        point("payout.after", key=idempotency_key)
        return result


def install() -> None:
    from openlance.billing import gateway

    # By name: contracts is a layer above billing (see the import-linter contract).
    funding: Any = importlib.import_module("openlance.contracts.milestones.funding")
    gateway._ADAPTERS["sandbox"] = f"{__name__}.JournaledSandboxGateway"
    fund_locked = funding._fund_locked

    def fund_locked_after_a_pause(**kwargs: Any) -> Any:
        point("fund.before_escrow", milestone=kwargs["locked"].pk)
        return fund_locked(**kwargs)

    funding._fund_locked = fund_locked_after_a_pause


def payout_run(spec: dict[str, Any]) -> None:
    from openlance.billing.payouts import payout_status_sync_due, scheduled_withdrawals_run_due
    from openlance.core import clock

    jobs = {
        "scheduled_withdrawals": scheduled_withdrawals_run_due,
        "payout_status_sync": payout_status_sync_due,
    }
    at = datetime.fromisoformat(spec["at"])
    with clock.frozen_at(at):
        done = {job: jobs[job](now=at) for job in spec["jobs"]}
    print(json.dumps(done), flush=True)


def fund(spec: dict[str, Any]) -> None:
    from django.test import Client

    from openlance.core import clock

    for attempt in spec["attempts"]:
        with clock.frozen_at(datetime.fromisoformat(attempt["at"])):
            response = Client().post(
                f"/api/v1/milestones/{spec['milestone_id']}/fund",
                json.dumps({"payment_method": attempt["payment_method"]}),
                content_type="application/json",
                headers={
                    "Authorization": f"Bearer {spec['token']}",
                    "Idempotency-Key": attempt["key"],
                },
            )
        print(
            json.dumps(
                {
                    "status": response.status_code,
                    "replayed": response.get("Idempotent-Replayed") == "true",
                    "body": json.loads(response.content or b"null"),
                }
            ),
            flush=True,
        )


def procfile_worker_args() -> list[str]:
    """The arguments the Procfile gives `run_huey`, so the worker here is the deployed one."""
    from django.conf import settings

    for line in (settings.BASE_DIR / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() == "worker":
            words = shlex.split(os.path.expandvars(command))
            return words[words.index("run_huey") + 1 :]
    raise RuntimeError("The Procfile has no worker line.")


def worker(spec: dict[str, Any]) -> None:
    from django.core.management import call_command
    from huey.contrib.djhuey import HUEY

    from openlance.billing import tasks
    from openlance.core import clock

    @HUEY.signal()
    def journal_signal(signal: str, task: Any, exc: BaseException | None = None) -> None:
        journal(
            event="huey",
            signal=signal,
            task=getattr(task, "name", type(task).__name__),
            error=repr(exc) if exc else "",
        )

    with clock.frozen_at(datetime.fromisoformat(spec["at"])):
        for name in spec["enqueue"]:
            getattr(tasks, name)()
        call_command("run_huey", *procfile_worker_args(), "--no-periodic")


MODES = {"payout_run": payout_run, "fund": fund, "worker": worker}

if __name__ == "__main__":
    install()
    MODES[sys.argv[1]](json.loads(sys.argv[2]))
