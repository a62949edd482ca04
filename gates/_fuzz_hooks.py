"""The fuzz gate's schemathesis hooks (schemathesis loads this file by its path, as the
module `_schemathesis_hooks`): OpenAPI links from each create operation to the operations on
what it created, which the stateful phase follows; and no case whose request line is over
gunicorn's limit (see MAX_TARGET_SENT)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis.internal import lambda_sources


def _describe_lambdas_despite_cpython_bug() -> None:
    """Hypothesis names each filter lambda in a strategy's repr by parsing its module's
    source; on CPython 3.11.7, parsing schemathesis' 4,700-line coverage module from deep in
    its generators can raise "SystemError: AST constructor recursion depth mismatch" (a bug
    in CPython's AST recursion accounting), which schemathesis reports as an error of
    whichever operation was being generated. The repr is only a label: name it "unknown"."""
    describe: Callable[..., str] = lambda_sources._lambda_description

    def described(f: Any, *args: Any, **kwargs: Any) -> str:
        try:
            return describe(f, *args, **kwargs)
        except SystemError:
            return "lambda: <unknown>"

    lambda_sources._lambda_description = described


_describe_lambdas_despite_cpython_bug()

# Operations that would end the run's own authentication: revoking a token (it may be the
# one in use) and switching role (a freelancer would be testing as a client).
EXCLUDED_OPERATION_IDS = (
    "openlance_accounts_api_tokens_revoke",
    "openlance_accounts_api_me_switch_role",
)

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
    import schemathesis
    from schemathesis.config import SanitizationConfig
    from schemathesis.transport.prepare import prepare_request

    unmasked = SanitizationConfig(enabled=False)

    @schemathesis.hook
    def before_load_schema(context: Any, raw_schema: dict[str, Any]) -> None:
        add_links(raw_schema)

    @schemathesis.hook
    def filter_case(context: Any, case: Any) -> bool:
        # The request line as schemathesis sends it: its own preparation of the case. A case
        # it cannot prepare is left to it, to report as it would without this hook.
        try:
            request = prepare_request(case, None, config=unmasked, base_url="http://127.0.0.1")
        except Exception:
            return True
        return len(request.path_url or "") <= MAX_TARGET_SENT


if __name__ == "_schemathesis_hooks":
    register_hooks()
