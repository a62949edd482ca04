"""The OpenAPI document as a contract: every operation lists the problem+json answers it can
give besides its success, with the one `Problem` schema (RFC 9457, see core.problems).

Most statuses follow from what the document already says about an operation: any request
may be malformed (400), or have a path and query string too long (414, answered by
api.middleware before routing); one with security may be unauthenticated (401), and a
write with the browser session may fail its CSRF check (403); a path id may name nothing
the caller may see (404), or not be an id at all, e.g. /jobs/abc (422); input may be
invalid, and a write may be refused by the services' own checks (422); a write may meet
the object in a state that refuses it (409); a body may be too large (413: an upload over
its limit, or any body over the middleware's). The rest are listed here by operation: the
writes that are rate limited (429), that charge a card (402), the operations that look up
ids given in their body or query (404), and the reads that need a role the account may
not have (422)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from http.client import responses
from typing import Any

from ninja import Field, NinjaAPI, Schema

from openlance.api.middleware import MAX_REQUEST_TARGET_BYTES
from openlance.billing.api import payout_create, wallet_deposit
from openlance.billing.connects_api import (
    connects_cost,
    connects_get,
    connects_plan_put,
    connects_purchase,
)
from openlance.contracts.api import milestone_fund
from openlance.contracts.offers_api import offer_create
from openlance.core.problems import PROBLEM_CONTENT_TYPE
from openlance.insights.api import gig_math_get
from openlance.messaging.api import message_create
from openlance.profiles.api import my_client_profile, my_freelancer
from openlance.proposals.api import invitation_accept, proposal_create, proposal_message

PROBLEM_REF = "#/components/schemas/Problem"


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


# Statuses that only some operations can answer, by view function (unwrapped: the operation
# ids are made from the view's own name and module).
RATE_LIMITED = (proposal_create, invitation_accept, proposal_message, message_create)
CHARGES_CARD = (wallet_deposit, connects_purchase, connects_plan_put, milestone_fund)
IDS_IN_INPUT = (offer_create, payout_create, connects_cost, gig_math_get)
NEEDS_ROLE = (connects_get, my_freelancer, my_client_profile)

WHY = {
    400: "Bad request: the query string or body could not be read.",
    401: "Not authenticated: send a personal access token, or sign in.",
    402: "Payment declined: nothing was charged.",
    403: "Forbidden: the browser session's CSRF check failed, or you may not do this.",
    404: "Not found: no such object, or not one you may see.",
    409: "Conflict: not allowed in the object's current state, or an Idempotency-Key reused.",
    413: "Request too large.",
    414: f"URI too long: the path and query string are over {MAX_REQUEST_TARGET_BYTES} bytes.",
    422: "Invalid input: see `errors` for the fields.",
    429: "Too many requests: wait before sending more.",
}

WRITES = {"post", "put", "patch", "delete"}


def operation_id(view: Callable[..., Any]) -> str:
    """Ninja's default operation id of a view (NinjaAPI.get_openapi_operation_id)."""
    view = inspect.unwrap(view)
    return f"{view.__module__}_{view.__name__}".replace(".", "_")


def _ids(views: Iterable[Callable[..., Any]]) -> set[str]:
    return {operation_id(view) for view in views}


def _typed_path_parameter(parameter: dict[str, Any]) -> bool:
    """A path parameter that is not free text (an integer id): a value of the wrong type
    fails validation, a 422 naming the parameter, before the view can answer its 404."""
    return parameter.get("in") == "path" and parameter.get("schema", {}).get("type") != "string"


def error_statuses(method: str, operation: dict[str, Any]) -> set[int]:
    """The error statuses an operation of the document can answer (see the module)."""
    op_id = operation.get("operationId", "")
    parameters = operation.get("parameters", [])
    body = operation.get("requestBody")
    statuses = {400, 414}
    if operation.get("security"):
        statuses.add(401)
        if method in WRITES:
            statuses.add(403)
    if any(p.get("in") == "path" for p in parameters) or op_id in _ids(IDS_IN_INPUT):
        statuses.add(404)
    if (
        body
        or method in WRITES
        or any(p.get("in") in ("query", "header", "cookie") for p in parameters)
        or any(_typed_path_parameter(p) for p in parameters)
        or op_id in _ids(NEEDS_ROLE)
    ):
        statuses.add(422)
    if method in WRITES:
        statuses.add(409)
    if body:
        statuses.add(413)
    if op_id in _ids(RATE_LIMITED):
        statuses.add(429)
    if op_id in _ids(CHARGES_CARD):
        statuses.add(402)
    return statuses


def problem_response(status: int) -> dict[str, Any]:
    return {
        "description": WHY.get(status, responses.get(status, "Error")),
        "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
    }


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Adds the `Problem` component and each operation's error responses to `schema`
    (statuses an operation documents itself are left as they are)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(problem.pop("$defs", {}))
    components["Problem"] = problem
    for path_item in schema.get("paths", {}).values():
        for method, operation in path_item.items():
            answers = operation.setdefault("responses", {})
            for status in sorted(error_statuses(method, operation)):
                if status not in answers and str(status) not in answers:
                    answers[status] = problem_response(status)
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
    """NinjaAPI whose OpenAPI document lists every operation's problem+json answers."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        document_problems(schema)
        parameter_examples(schema)
        return schema
