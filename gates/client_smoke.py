#!/usr/bin/env python
"""Generated-client smoke gate (issue 11): a client generated from the OpenAPI document
works against the demo without hand edits.

    .venv/bin/python gates/client_smoke.py          (or: make client-smoke)

1. Exports the document without a server (`manage.py export_openapi_schema`).
2. Checks what a generator does not: no file is documented outside a request body. Then
   generates a Python client with openapi-python-client (a pinned dev dependency, run
   from this virtualenv; nothing is installed at run time) and imports every module of
   it. Any warning or error the generator reports about the document fails the gate:
   each is a contract defect. (0.27.1 is pinned: 0.28.0 to 0.29.1 write a module that
   does not import for an operation with two request content types, as message_create
   has; upstream issue openapi-generators/openapi-python-client#1451.)
3. Loads the demo into a fresh SQLite database in a throwaway directory, creates a personal
   access token for a demo freelancer and a demo client, and serves the site with gunicorn
   as in the Procfile on a free port of 127.0.0.1 (gates/_harness.py).
4. Imports the generated package and calls a representative set of operations, anonymous,
   as the freelancer and as the client, including writes and error answers. Every answer
   must have the expected status and parse into the expected generated model, and every
   value in it must have the type the model declares (enums, datetimes with a time zone,
   ints that are ints, no undocumented fields): a failure is a contract defect, reported
   with the operation and the response.

The server is stopped on exit (its process group); the throwaway directory is removed
unless CLIENT_SMOKE_KEEP=1. The last line is a one-line summary; the exit status is
non-zero on any failure. CLIENT_DEMO_SCALE: full (the default) or small (about a minute
faster).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import enum
import importlib
import inspect
import io
import json
import os
import sys
import textwrap
import time
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from _harness import Gate, GateError

GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "openlance_client"

GENERATOR_CONFIG = """\
# No post hooks: the generated code is imported, not committed, so it is not formatted.
post_hooks: []
project_name_override: openlance-client
package_name_override: openlance_client
"""


# --- export and generate ------------------------------------------------------------------


def export_document(gate: Gate, path: Path) -> dict[str, Any]:
    gate.manage(
        "export_openapi_schema",
        "--api",
        "openlance.api.urls.api",
        "--output",
        str(path),
        "--indent",
        "1",
        timeout=120,
    )
    document = json.loads(path.read_text())
    operations = sum(
        1 for item in document["paths"].values() for method in item if method != "parameters"
    )
    gate.log(f"exported the document: OpenAPI {document['openapi']}, {operations} operations")
    return document


def _has_binary(schema: Any) -> bool:
    if isinstance(schema, dict):
        return schema.get("format") == "binary" or any(_has_binary(v) for v in schema.values())
    if isinstance(schema, list):
        return any(_has_binary(v) for v in schema)
    return False


def lint_document(document: dict[str, Any]) -> list[str]:
    """Contract defects a generator does not report but a generated client trips on: a
    file (format binary) documented as a query, path, header or cookie parameter cannot
    be uploaded by any client (the view reads it from there too, so it never gets one)."""
    defects = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if _has_binary(parameter.get("schema")):
                    defects.append(
                        f"{method.upper()} {path} ({operation.get('operationId')}): the file "
                        f"{parameter['name']!r} is a {parameter['in']} parameter, not a part "
                        "of a multipart/form-data body, so no client can upload it"
                    )
    return defects


def generate(gate: Gate, document_path: Path) -> None:
    if not GENERATOR.exists():
        raise GateError(
            f"{GENERATOR} is missing: openapi-python-client is a pinned dev dependency "
            "(pip install -e '.[dev]')"
        )
    config = gate.dir / "generator.yaml"
    config.write_text(GENERATOR_CONFIG)
    target = gate.dir / PACKAGE
    done = gate.run(
        "openapi-python-client",
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(document_path),
            "--meta",
            "none",
            "--config",
            str(config),
            "--output-path",
            str(target),
        ],
        timeout=300,
        check=False,
        cwd=gate.dir,
    )
    output = done.stdout.strip()
    # The generator prints "Generating <path>" and nothing else when the document is clean;
    # anything more is a warning or an error about the document.
    remarks = [
        line
        for line in output.splitlines()
        if line.strip() and not line.startswith("Generating ") and "open an issue" not in line
    ]
    if done.returncode != 0 or remarks or not (target / "__init__.py").exists():
        raise GateError(
            f"openapi-python-client reported problems with the document "
            f"(exit {done.returncode}); each is a contract defect:\n{output}"
        )
    modules = len(list((target / "api").rglob("*.py")))
    gate.log(f"generated {PACKAGE} with openapi-python-client, no warnings ({modules} api modules)")


def import_all(gate: Gate, package_dir: Path) -> None:
    """Every generated module imports: the client works without hand edits, not just the
    operations called below."""
    broken = []
    modules = sorted(package_dir.rglob("*.py"))
    for path in modules:
        parts = path.relative_to(package_dir.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        try:
            importlib.import_module(name)
        except Exception as exc:
            broken.append(f"{name}: {type(exc).__name__}: {exc}")
    if broken:
        raise GateError(
            f"{len(broken)} generated module(s) do not import:\n" + "\n".join(broken[:20])
        )
    gate.log(f"all {len(modules)} generated modules import")


# --- checking parsed values against the generated types ----------------------------------


@dataclasses.dataclass
class Checker:
    """Walks a parsed value and lists every value whose type is not the declared one."""

    models: types.ModuleType
    unset: type
    problems: list[str] = dataclasses.field(default_factory=list)
    _hints: dict[type, dict[str, Any]] = dataclasses.field(default_factory=dict)

    def hints(self, cls: type) -> dict[str, Any]:
        if cls not in self._hints:
            module = sys.modules[cls.__module__]
            self._hints[cls] = typing.get_type_hints(
                cls, globalns=vars(module), localns=vars(self.models)
            )
        return self._hints[cls]

    def model(self, obj: Any, path: str) -> None:
        import attrs

        cls = type(obj)
        hints = self.hints(cls)
        declared = [f.name for f in attrs.fields(cls) if f.name != "additional_properties"]
        for name in declared:
            self.value(getattr(obj, name), hints[name], f"{path}.{name}")
        extra = getattr(obj, "additional_properties", None)
        if extra:
            if declared:
                self.problems.append(
                    f"{path} ({cls.__name__}): undocumented field(s) {sorted(extra)}"
                )
            else:  # a free-form object: its values still have to be of the declared type
                self.value(extra, hints["additional_properties"], path)

    def value(self, value: Any, hint: Any, path: str) -> None:
        errors = self._errors(value, hint, path)
        self.problems.extend(errors)

    def _errors(self, value: Any, hint: Any, path: str) -> list[str]:
        import attrs

        origin = typing.get_origin(hint)
        args = typing.get_args(hint)
        if hint is Any:
            return []
        if origin in (typing.Union, types.UnionType):
            attempts = [self._errors(value, arm, path) for arm in args]
            if any(not errs for errs in attempts):
                return []
            # Report the arm whose type matches at the top, if one does.
            for arm, errs in zip(args, attempts, strict=True):
                base = typing.get_origin(arm) or arm
                if isinstance(base, type) and isinstance(value, base):
                    return errs
            return [f"{path}: {type(value).__name__} {value!r:.80} is not {hint}"]
        if hint is type(None):
            return [] if value is None else [f"{path}: {value!r:.80} is not None"]
        if origin is list:
            if not isinstance(value, list):
                return [f"{path}: {type(value).__name__} is not a list"]
            out: list[str] = []
            for i, item in enumerate(value):
                out += self._errors(item, args[0], f"{path}[{i}]")
            return out
        if origin is dict:
            if not isinstance(value, dict):
                return [f"{path}: {type(value).__name__} is not a dict"]
            out = []
            for key, item in value.items():
                out += self._errors(item, args[1] if args else Any, f"{path}[{key!r}]")
            return out
        if not isinstance(hint, type):
            return []  # Literal and the like: the generator checks those itself
        if hint is self.unset:
            return [] if isinstance(value, self.unset) else [f"{path}: {value!r:.80} is not UNSET"]
        if issubclass(hint, enum.Enum) or attrs.has(hint):
            if not isinstance(value, hint):
                return [f"{path}: {type(value).__name__} is not {hint.__name__}"]
            if attrs.has(hint):
                sub = Checker(self.models, self.unset, _hints=self._hints)
                sub.model(value, path)
                return sub.problems
            return []
        if hint is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif hint is float:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        elif hint is dt.datetime:
            if isinstance(value, dt.datetime) and value.tzinfo is None:
                return [f"{path}: datetime {value.isoformat()} has no time zone (UTC promised)"]
            ok = isinstance(value, dt.datetime)
        else:
            ok = isinstance(value, hint)
        return [] if ok else [f"{path}: {type(value).__name__} {value!r:.80} is not {hint}"]


# --- the calls -----------------------------------------------------------------------------


class Defect(Exception):
    pass


@dataclasses.dataclass
class Smoke:
    gate: Gate
    client: types.ModuleType
    base_url: str
    calls: int = 0
    operations: set[str] = dataclasses.field(default_factory=set)
    failed_calls: int = 0
    failures: list[str] = dataclasses.field(default_factory=list)
    last_response: Any = None

    def __post_init__(self) -> None:
        self.models = importlib.import_module(f"{PACKAGE}.models")
        self.types = importlib.import_module(f"{PACKAGE}.types")
        self.errors = importlib.import_module(f"{PACKAGE}.errors")
        self.Problem = self.models.Problem
        api_dir = Path(str(self.client.__file__)).parent / "api"
        # Operation ids are `<module>_<view>`: a view name finds its generated module.
        self.modules = {
            path.stem.split("_api_", 1)[-1]: f"{PACKAGE}.api.{path.parent.name}.{path.stem}"
            for path in api_dir.glob("*/*.py")
            if path.stem != "__init__"
        }

    def session(self, token: str | None) -> Any:
        hooks = {"response": [self._remember]}
        kwargs: dict[str, Any] = {
            "base_url": self.base_url,
            "raise_on_unexpected_status": True,
            "timeout": httpx.Timeout(30.0),
            "httpx_args": {"event_hooks": hooks},
        }
        if token is None:
            return self.client.Client(**kwargs)
        return self.client.AuthenticatedClient(token=token, **kwargs)

    def _remember(self, response: Any) -> None:
        self.last_response = response

    def call(
        self,
        label: str,
        view: str,
        session: Any,
        *,
        expect: type | None,
        status: int = 200,
        check: Callable[[Any], str | None] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Calls the operation of `view` and checks status, model and every value's type.
        Returns the parsed value, or None after recording a defect."""
        self.calls += 1
        self.operations.add(view)  # a view is one operation (its id is <module>_<view>)
        name = f"{label} [{view}]"
        module = importlib.import_module(self.modules[view])
        if "page_size" in inspect.signature(module.sync_detailed).parameters:
            kwargs.setdefault("page_size", 100)  # the largest page: more of the demo parsed
        self.last_response = None
        try:
            response = module.sync_detailed(client=session, **kwargs)
            parsed = response.parsed
            if int(response.status_code) != status:
                raise Defect(f"answered {int(response.status_code)}, expected {status}")
            if expect is None:
                if status != 204 and parsed is None:
                    raise Defect("no parsed value")
            elif not isinstance(parsed, expect):
                raise Defect(f"parsed as {type(parsed).__name__}, expected {expect.__name__}")
            checker = Checker(self.models, self.types.Unset)
            if expect is list:
                for i, item in enumerate(parsed):
                    checker.model(item, f"[{i}]")
            elif expect is not None:
                checker.model(parsed, type(parsed).__name__)
            if checker.problems:
                raise Defect(
                    "values not of the declared types:\n  " + "\n  ".join(checker.problems[:10])
                )
            if check is not None and (message := check(parsed)):
                raise Defect(message)
        except self.errors.UnexpectedStatus as exc:
            self._fail(name, f"undocumented status {exc.status_code}", exc.content)
            return None
        except Defect as exc:
            self._fail(name, str(exc))
            return None
        except Exception as exc:  # a parse failure inside the generated from_dict
            self._fail(name, f"parse failure: {type(exc).__name__}: {exc}")
            return None
        return parsed

    def _fail(self, name: str, message: str, body: bytes | None = None) -> None:
        self.failed_calls += 1
        response = self.last_response
        where = ""
        if response is not None:
            try:
                body = body if body is not None else response.read()
            except Exception:
                body = b""
            where = (
                f"\n  {response.request.method} {response.request.url} -> "
                f"{response.status_code} {response.headers.get('content-type', '')}"
            )
        text = (body or b"").decode(errors="replace")
        snippet = textwrap.shorten(text, 600, placeholder=" …") if text else ""
        self.failures.append(
            f"{name}: {message}{where}" + (f"\n  body: {snippet}" if snippet else "")
        )
        self.gate.log(f"FAIL {name}: {message.splitlines()[0]}")


def png(size: int) -> bytes:
    """A small valid PNG (Pillow is a dependency of the site)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (size, size), (40, 120, 200)).save(out, "PNG")
    return out.getvalue()


def nonempty(attr: str = "items") -> Callable[[Any], str | None]:
    def check(parsed: Any) -> str | None:
        value = parsed if attr == "" else getattr(parsed, attr)
        return None if value else f"{attr or 'the list'} is empty on the demo data"

    return check


def problem_is(
    status: int, code: str | None = None, fields: bool = False
) -> Callable[[Any], str | None]:
    def check(problem: Any) -> str | None:
        if problem.status != status:
            return f"Problem.status is {problem.status}, expected {status}"
        if code is not None and problem.code != code:
            return f"Problem.code is {problem.code!r}, expected {code!r}"
        if fields and not problem.errors:
            return "Problem.errors is empty: the invalid field is not named"
        return None

    return check


def exercise(smoke: Smoke, tokens: dict[str, str]) -> None:
    m = smoke.models
    anon = smoke.session(None)
    fl = smoke.session(tokens["freelancer"])
    cl = smoke.session(tokens["client"])
    call = smoke.call

    # Public reads.
    policies = call("list policies", "policies_list", anon, expect=list, check=nonempty(""))
    if policies:
        call(
            "a policy", "policies_detail", anon, expect=m.PolicyKindOut, kind=str(policies[0].kind)
        )
    call("skills", "skills_list", anon, expect=list, check=nonempty(""))
    call("categories", "categories_list", anon, expect=list, check=nonempty(""))
    jobs = call(
        "search jobs", "search_jobs_endpoint", anon, expect=m.JobSearchOut, check=nonempty()
    )
    call(
        "search jobs, newest, hourly",
        "search_jobs_endpoint",
        anon,
        expect=m.JobSearchOut,
        q="writing",
        sort=m.OpenlanceJobsApiSearchJobsEndpointSort.NEWEST,
        budget_type=[m.OpenlanceJobsApiSearchJobsEndpointBudgetTypeItem.HOURLY],
    )
    hits = call(
        "search freelancers",
        "search_freelancers_endpoint",
        anon,
        expect=m.FreelancerSearchOut,
        check=nonempty(),
        q="content writing",
        country=["US"],
    )
    job_id = jobs.items[0].job.id if jobs and jobs.items else None
    if job_id is not None:
        call("get a job", "job_detail", anon, expect=m.JobOut, job_id=job_id)
    if hits and hits.items:
        call(
            "a freelancer",
            "freelancer_detail",
            anon,
            expect=m.FreelancerOut,
            user_id=hits.items[0].user_id,
        )
    call(
        "fee quote",
        "fees_quote",
        anon,
        expect=m.FeeQuoteOut,
        amount="600.00",
        lifetime_billed="1200.00",
        first_payment_of_contract=True,
    )

    # As the freelancer.
    me = call("my account (freelancer)", "me_get", fl, expect=m.MeOut)
    call("my freelancer profile", "my_freelancer", fl, expect=m.MyFreelancerOut)
    call(
        "upload my photo (multipart write)",
        "my_photo",
        fl,
        expect=m.MyFreelancerOut,
        body=m.OpenlanceProfilesApiMyPhotoFileParams(
            photo=smoke.types.File(
                payload=io.BytesIO(png(320)), file_name="smoke.png", mime_type="image/png"
            )
        ),
        check=lambda mine: None if mine.photo_url else "photo_url is still empty",
    )
    call("wallet (freelancer)", "wallet_get", fl, expect=m.WalletOut)
    call("wallet transactions (freelancer)", "wallet_transactions", fl, expect=m.PageTransactionOut)
    call("connects balance", "connects_get", fl, expect=m.ConnectsSummaryOut)
    call("connects history", "connects_history_list", fl, expect=m.PageMoveOut, check=nonempty())
    if job_id is not None:
        call("connects cost of a job", "connects_cost", fl, expect=m.ConnectsCostOut, job_id=job_id)
        call("proposal cost of a job", "proposal_cost", fl, expect=m.ProposalCostOut, job_id=job_id)
        call(
            "gig math",
            "gig_math_get",
            fl,
            expect=m.GigMathOut,
            job_id=job_id,
            bid_type=m.OpenlanceInsightsApiGigMathGetBidType.HOURLY,
            hourly_rate="45.00",
            work_hours="20",
        )
    proposals = call("my proposals", "my_proposals", fl, expect=m.PageProposalOut, check=nonempty())
    if proposals and proposals.items:
        call(
            "a proposal",
            "proposal_detail",
            fl,
            expect=m.ProposalOut,
            proposal_id=proposals.items[0].id,
        )
    call("my invitations", "my_invitations", fl, expect=m.PageInvitationOut)
    offers = call(
        "my offers (freelancer)", "my_offers", fl, expect=m.PageOfferOut, check=nonempty()
    )
    if offers and offers.items:
        call("an offer", "offer_detail", fl, expect=m.OfferOut, offer_id=offers.items[0].id)
    contracts = call(
        "my contracts (freelancer)",
        "contract_list",
        fl,
        expect=m.PageContractSummaryOut,
        check=nonempty(),
    )
    if contracts and contracts.items:
        call(
            "a contract",
            "contract_detail",
            fl,
            expect=m.ContractOut,
            contract_id=contracts.items[0].id,
        )
    call("payouts", "payout_list", fl, expect=m.PagePayoutOut)
    call("payout settings", "payout_settings_get", fl, expect=m.PayoutSettingsOut)
    call("payout methods", "payout_methods", fl, expect=list)
    call("payout method kinds", "payout_method_kinds", fl, expect=list, check=nonempty(""))
    call("my verifications", "my_verifications", fl, expect=list)
    conversations = call(
        "my conversations", "conversation_list", fl, expect=m.PageConversationOut, check=nonempty()
    )
    if conversations and conversations.items:
        conversation_id = conversations.items[0].id
        call(
            "a conversation",
            "conversation_detail",
            fl,
            expect=m.ConversationOut,
            conversation_id=conversation_id,
        )
        call(
            "its messages",
            "message_list",
            fl,
            expect=m.PageConversationMessageOut,
            conversation_id=conversation_id,
        )
        text = f"Client smoke test message {int(time.time())}"
        sent = call(
            "send a message (write)",
            "message_create",
            fl,
            expect=m.ConversationMessageOut,
            status=201,
            conversation_id=conversation_id,
            body=m.OpenlanceMessagingApiMessageCreateJsonConversationMessageIn(body=text),
            check=lambda msg: None if msg.body == text else f"body came back as {msg.body!r}",
        )
        if sent:
            call(
                "the message is listed",
                "message_list",
                fl,
                expect=m.PageConversationMessageOut,
                conversation_id=conversation_id,
                after_id=sent.id - 1,
                check=lambda page: (
                    None
                    if any(item.id == sent.id for item in page.items)
                    else "the sent message is not in the list"
                ),
            )
    token = call(
        "create a token (write)",
        "tokens_create",
        fl,
        expect=m.TokenCreatedOut,
        status=201,
        body=m.TokenCreateIn(name="client smoke"),
        check=lambda t: (
            None if t.token.startswith("olp_") and t.active else "not an active olp_ token"
        ),
    )
    call("my tokens", "tokens_list", fl, expect=m.PageTokenOut, check=nonempty())
    if token:
        call(
            "revoke the token (write)",
            "tokens_revoke",
            fl,
            expect=None,
            status=204,
            token_id=token.id,
        )

    # As the client.
    client_me = call("my account (client)", "me_get", cl, expect=m.MeOut)
    call("my client profile", "my_client_profile", cl, expect=m.ClientProfileOut)
    if client_me:
        call(
            "a client's public page",
            "client_detail",
            anon,
            expect=m.ClientSignalsOut,
            user_id=client_me.id,
        )
    call("wallet (client)", "wallet_get", cl, expect=m.WalletOut)
    call(
        "wallet transactions (client)",
        "wallet_transactions",
        cl,
        expect=m.PageTransactionOut,
        check=nonempty(),
    )
    my_jobs = call("my job posts", "my_jobs", cl, expect=m.PageJobOut, check=nonempty())
    # A post's proposal count includes proposals the client archived, which the "all" tab
    # leaves out: the posts are tried in turn, and the last one tried must list one.
    with_proposals = [j for j in (my_jobs.items if my_jobs else []) if j.proposals_count][:5]
    for tried, job in enumerate(with_proposals, start=1):
        listed = call(
            "proposals on my post",
            "job_proposals",
            cl,
            expect=m.PageProposalOut,
            check=nonempty() if tried == len(with_proposals) else None,
            job_id=job.id,
        )
        if listed is not None and listed.items:
            break
    call("my offers (client)", "my_offers", cl, expect=m.PageOfferOut, check=nonempty())
    call(
        "my contracts (client)",
        "contract_list",
        cl,
        expect=m.PageContractSummaryOut,
        check=nonempty(),
    )
    call(
        "my contracts as client, filtered by role",
        "contract_list",
        cl,
        expect=m.PageContractSummaryOut,
        role=m.OpenlanceContractsApiContractListRoleType0.CLIENT,
    )
    call("my conversations (client)", "conversation_list", cl, expect=m.PageConversationOut)

    # Error answers, parsed as the one Problem model.
    call(
        "a job that does not exist",
        "job_detail",
        anon,
        expect=smoke.Problem,
        status=404,
        check=problem_is(404),
        job_id=2_000_000_000,
    )
    call(
        "a fee quote with a bad amount",
        "fees_quote",
        anon,
        expect=smoke.Problem,
        status=422,
        check=problem_is(422, fields=True),
        amount="twelve",
    )
    call(
        "a bad token",
        "me_get",
        smoke.session("olp_not-a-real-token"),
        expect=smoke.Problem,
        status=401,
        check=problem_is(401),
    )
    call(
        "a client profile asked for by a freelancer",
        "my_client_profile",
        fl,
        expect=smoke.Problem,
        status=422,
        check=problem_is(422),
    )
    if me is not None and client_me is not None and me.id == client_me.id:
        smoke.failures.append("the freelancer and the client tokens are the same account")


# --- the gate --------------------------------------------------------------------------------


def differences(exported: Any, served: Any, lines: int = 40) -> str:
    """The start of a unified diff of two JSON documents, their keys sorted."""

    def text(document: Any) -> list[str]:
        return json.dumps(document, indent=1, sort_keys=True).splitlines()

    diff = difflib.unified_diff(text(exported), text(served), "exported", "served", lineterm="")
    return "\n".join(list(diff)[:lines])


def main() -> int:
    with Gate("client-smoke", keep_var="CLIENT_SMOKE_KEEP") as gate:
        try:
            document_path = gate.dir / "openapi.json"
            document = export_document(gate, document_path)
            lint_defects = lint_document(document)
            for defect in lint_defects:
                gate.log(f"FAIL document: {defect}")
            generate(gate, document_path)

            gate.load_demo(os.environ.get("CLIENT_DEMO_SCALE", "full"))
            accounts = gate.demo_tokens("client smoke gate", freelancers=[1], clients=[1])
            gate.log("tokens for " + " and ".join(account.email for account in accounts))

            server = gate.web("server", workers=1, options=["--threads", "2"])
            server.wait_http("/api/v1/policies")
            gate.log(f"server up on {server.url} (gunicorn, pid {server.popen.pid})")
            served = httpx.get(f"{server.url}/api/openapi.json", timeout=30).json()
            if served != document:
                raise GateError(
                    "the document the server serves differs from the exported one the client "
                    f"was generated from:\n{differences(document, served)}"
                )

            sys.path.insert(0, str(gate.dir))
            client = importlib.import_module(PACKAGE)
            import_all(gate, gate.dir / PACKAGE)
            smoke = Smoke(gate, client, server.url)
            smoke.failures += [f"document: {defect}" for defect in lint_defects]
            exercise(smoke, {account.role: account.token for account in accounts})
            if not server.alive():
                smoke.failures.append(f"the server died during the calls:\n{server.tail()}")
        except GateError as exc:
            print(f"\nclient smoke: FAILED before the calls: {exc}", file=sys.stderr)
            print(f"client smoke: FAILED ({time.monotonic() - gate.started:.0f} s)")
            return 1

    elapsed = time.monotonic() - gate.started
    calls = f"{smoke.calls} calls to {len(smoke.operations)} operations"
    if smoke.failures:
        print(f"\n{len(smoke.failures)} contract defect(s):", file=sys.stderr)
        for failure in smoke.failures:
            print(f"- {failure}", file=sys.stderr)
        print(
            f"client smoke: FAILED, {len(smoke.failures)} contract defect(s): "
            f"{smoke.failed_calls} of {calls} did not answer and parse as documented, "
            f"{len(lint_defects)} defect(s) in the document ({elapsed:.0f} s)"
        )
        return 1
    print(
        f"client smoke: {calls} with the generated client, all answered as documented and "
        f"parsed into typed models ({elapsed:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
