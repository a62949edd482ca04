"""The OpenAPI document as a contract: every operation lists the problem+json answers it can
give besides its success, with the one `Problem` schema (RFC 9457, see core.problems).

Most statuses follow from what the document already says about an operation: any request
may be malformed (400), or have a path and query string too long (414, answered by
api.middleware before routing); one with security may be unauthenticated (401), and a
write with the browser session may fail its CSRF check (403); a path id may name nothing
the caller may see (404), or not be an id at all, e.g. /jobs/abc (422); input may be
invalid, and a write may be refused by the services' own checks (422); a write may meet
the object in a state that refuses it (409); a body may be too large (413: an upload over
its limit, or any body over the middleware's). The rest each operation declares at its
route, with `openapi_extra=core.problems.problems(...)`: rate limited writes (429), writes
that charge a card (402, 502), operations that look up ids given in their body or query
(404), reads that need a role the account may not hold (422)."""

from __future__ import annotations

from typing import Any

from ninja import Field, NinjaAPI, Schema
from ninja.openapi.schema import OpenAPISchema

from openlance.api.middleware import MAX_REQUEST_TARGET_BYTES
from openlance.core.problems import problem_answer


class ProblemFieldError(Schema):
    field: str = Field(examples=["amount.amount"], description="Dotted path of the field.")
    message: str


class Problem(Schema):
    """An error, as application/problem+json (RFC 9457)."""

    type: str = Field(examples=["https://openlance.dev/problems/invalid_input"])
    title: str = Field(examples=["Invalid input"])
    status: int = Field(examples=[422])
    detail: str = Field(description="What went wrong, for a person to read.")
    code: str = Field(
        examples=["invalid_input"], description="Stable; branch on this, not on the text."
    )
    errors: list[ProblemFieldError] = Field(
        default_factory=list, description="The invalid fields, when there are any (422)."
    )


# Descriptions that need what this package knows (core.problems.WHY has the others).
DESCRIPTIONS = {
    414: f"URI too long: the path and query string are over {MAX_REQUEST_TARGET_BYTES} bytes.",
}
WRITES = {"post", "put", "patch", "delete"}


def _typed_path_parameter(parameter: dict[str, Any]) -> bool:
    """A path parameter that is not free text (an integer id): a value of the wrong type
    fails validation, a 422 naming the parameter, before the view can answer its 404."""
    return parameter.get("in") == "path" and parameter.get("schema", {}).get("type") != "string"


def error_statuses(method: str, operation: dict[str, Any]) -> set[int]:
    """The error statuses that follow from an operation's shape (see the module)."""
    parameters = operation.get("parameters", [])
    body = operation.get("requestBody")
    statuses = {400, 414}
    if operation.get("security"):
        statuses.add(401)
        if method in WRITES:
            statuses.add(403)
    if any(p.get("in") == "path" for p in parameters):
        statuses.add(404)
    if (
        body
        or method in WRITES
        or any(p.get("in") in ("query", "header", "cookie") for p in parameters)
        or any(_typed_path_parameter(p) for p in parameters)
    ):
        statuses.add(422)
    if method in WRITES:
        statuses.add(409)
    if body:
        statuses.add(413)
    return statuses


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Adds the `Problem` component and each operation's derived error responses to `schema`
    (statuses an operation documents itself, e.g. with `problems(...)`, are left as they
    are), and lists each operation's responses by status."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(problem.pop("$defs", {}))
    components["Problem"] = problem
    for path_item in schema.get("paths", {}).values():
        for method, operation in path_item.items():
            answers = operation.setdefault("responses", {})
            for status in sorted(error_statuses(method, operation)):
                if status not in answers and str(status) not in answers:
                    answers[status] = problem_answer(status, DESCRIPTIONS.get(status))
            operation["responses"] = dict(sorted(answers.items(), key=lambda item: str(item[0])))
    return schema


def parameter_examples(schema: dict[str, Any]) -> dict[str, Any]:
    """Ninja copies a parameter's JSON Schema `examples` (a list) onto the Parameter Object,
    where OpenAPI 3.1 wants a map of Example Objects: generated clients refuse the list.
    The list stays in the parameter's schema; the parameter gets the map."""
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []):
                examples = parameter.get("examples")
                if isinstance(examples, list):
                    parameter["examples"] = {
                        "example" if i == 0 else f"example_{i + 1}": {"value": value}
                        for i, value in enumerate(examples)
                    }
    return schema


class OpenlanceAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document lists every operation's problem+json answers.

    The document is built once per path prefix and kept for the life of the process (a
    build takes some 0.3 s): the operations are fixed once the URL configuration is loaded.
    Callers share it, so they read it and never change it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._documents: dict[str, OpenAPISchema] = {}

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        document = self._documents.get(path_prefix)
        if document is None:
            document = super().get_openapi_schema(path_prefix=path_prefix)
            document_problems(document)
            parameter_examples(document)
            self._documents[path_prefix] = document
        return document
