"""The OpenAPI document at /api/openapi.json is a contract a client can be generated from:
every schema class has a name of its own, the document's component of each name is that
class's schema, the JSON the API really answers matches the schema it documents, choice
fields list their values, and every operation lists the errors it can answer."""

from __future__ import annotations

import inspect
import json
import re
import types
import typing
from collections import defaultdict
from typing import Any

import jsonschema_rs
import pytest
from django.test import Client
from ninja.openapi.schema import REF_TEMPLATE
from ninja.schema import NinjaGenerateJsonSchema
from pydantic import BaseModel

from openlance.accounts.services import token_create
from openlance.api.urls import api
from openlance.contracts.tests.factories import contract_fixed
from openlance.contracts.tests.factories import offer as make_offer
from openlance.core.ratelimits import rate_check
from openlance.jobs.models import BudgetType, Duration, ExperienceLevel, JobState, ProjectSize
from openlance.jobs.tests.factories import job_client, job_post
from openlance.proposals.models import DeclineReason, ProposalState
from openlance.proposals.tests.factories import funded_freelancer
from openlance.proposals.tests.factories import invitation as make_invitation
from openlance.proposals.tests.factories import proposal as make_proposal

JSON = "application/json"
PROBLEM = "application/problem+json"


# --- the schema classes of every operation -------------------------------------------------


def _operations():
    for router in api._get_bound_routers():
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                if operation.include_in_schema:
                    yield operation


def _models_in(annotation: Any, found: set[type[BaseModel]]) -> None:
    """The pydantic classes an annotation names, and theirs, recursively."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in found:
            return
        found.add(annotation)
        for field in annotation.model_fields.values():
            _models_in(field.annotation, found)
        return
    origin = typing.get_origin(annotation)
    if origin is not None or isinstance(annotation, types.UnionType):
        for arg in typing.get_args(annotation):
            _models_in(arg, found)


def schema_classes() -> dict[type[BaseModel], set[str]]:
    """Each class reachable from an operation's parameters, body or responses, with the
    operations using it. Ninja's own wrappers (one per operation) are not components."""
    used: dict[type[BaseModel], set[str]] = defaultdict(set)
    for operation in _operations():
        wrappers = list(operation.models)
        wrappers += [m for m in operation.response_models.values() if isinstance(m, type)]
        for wrapper in wrappers:
            found: set[type[BaseModel]] = set()
            for field in wrapper.model_fields.values():
                _models_in(field.annotation, found)
            for model in found:
                used[model].add(api.get_openapi_operation_id(operation))
    return used


def component_name(model: type[BaseModel]) -> str:
    """The name pydantic gives a class's schema."""
    return NinjaGenerateJsonSchema().normalize_name(model.__name__)


@pytest.fixture(scope="module")
def document(django_db_blocker):
    with django_db_blocker.unblock():
        response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_the_document_is_built_once_per_prefix():
    assert api.get_openapi_schema() is api.get_openapi_schema()
    assert api.get_openapi_schema(path_prefix="/x/") is not api.get_openapi_schema()


def test_no_two_schema_classes_share_a_name():
    by_name: dict[str, list[type[BaseModel]]] = defaultdict(list)
    for model in schema_classes():
        by_name[component_name(model)].append(model)
    shared = {
        name: sorted(f"{m.__module__}.{m.__qualname__}" for m in models)
        for name, models in by_name.items()
        if len(models) > 1
    }
    assert not shared, f"schema names used by more than one class: {shared}"


def test_each_component_is_its_class_schema(document):
    components = document["components"]["schemas"]
    for model in schema_classes():
        name = component_name(model)
        if hasattr(model, "__ninja_flatten_map__"):
            continue  # query and form models are flattened into parameters
        assert name in components, f"{name} is not in the document"
        expected = []
        for mode in ("validation", "serialization"):
            schema = model.model_json_schema(
                ref_template=REF_TEMPLATE, schema_generator=NinjaGenerateJsonSchema, mode=mode
            )
            schema.pop("$defs", None)
            expected.append(json.loads(json.dumps(schema)))
        assert components[name] in expected, f"components/schemas/{name} is another class's"


def test_a_proposal_message_is_documented_as_the_server_reads_it(document):
    """The example of the issue: the body the server reads is {"body"}."""
    operation = document["paths"]["/api/v1/proposals/{proposal_id}/messages"]["post"]
    ref = operation["requestBody"]["content"][JSON]["schema"]["$ref"]
    body = resolve(document, ref)
    assert body["required"] == ["body"]
    assert set(body["properties"]) == {"body"}


# --- choice fields list their values ------------------------------------------------------


def test_choice_fields_list_the_models_values(document):
    schemas = document["components"]["schemas"]
    job = schemas["JobOut"]["properties"]
    assert job["size"]["enum"] == ProjectSize.values
    assert job["duration"]["enum"] == Duration.values
    assert job["experience_level"]["enum"] == ExperienceLevel.values
    assert job["budget_type"]["enum"] == BudgetType.values
    assert job["state"]["enum"] == JobState.values
    assert schemas["JobIn"]["properties"]["duration"]["enum"] == Duration.values
    assert schemas["ProposalOut"]["properties"]["state"]["enum"] == ProposalState.values
    decline = schemas["InvitationDeclineIn"]["properties"]["reason"]
    assert decline["enum"] == DeclineReason.values
    states = {
        p["name"]: p["schema"]
        for p in document["paths"]["/api/v1/me/jobs"]["get"]["parameters"]
        if p["name"] == "state"
    }["state"]
    assert {"enum": JobState.values, "type": "string"} in states["anyOf"]


# --- documented errors ---------------------------------------------------------------------


def _all_operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_every_operation_documents_its_errors(document):
    """What any client may count on, however api.schema derives it: every error is a
    Problem; any request may be malformed (400); one with security may be unauthenticated
    (401); a path id may name nothing the caller may see (404); a body or query may be
    invalid (422); a write may meet a state that refuses it (409) or be refused by the
    services' checks (422); an upload may be too large (413); a card that may be declined (402) may
    also meet the payment provider unavailable (502)."""
    missing = []
    for path, method, operation in _all_operations(document):
        responses = operation["responses"]
        params = operation.get("parameters", [])
        needed = {"400"}
        if operation.get("security"):
            needed.add("401")
        if any(p["in"] == "path" for p in params):
            needed.add("404")
        if operation.get("requestBody") or any(p["in"] == "query" for p in params):
            needed.add("422")
        if method != "get":
            needed |= {"409", "422"}
        if (operation.get("requestBody") or {}).get("content", {}).get("multipart/form-data"):
            needed.add("413")
        if "402" in responses:
            needed.add("502")
        for status in sorted(needed - set(responses)):
            missing.append(f"{method.upper()} {path}: {status}")
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                schema = response["content"][PROBLEM]["schema"]
                assert schema == {"$ref": "#/components/schemas/Problem"}, (path, status)
    assert not missing, "undocumented error statuses:\n" + "\n".join(missing)


def test_the_rate_limited_operations_are_the_ones_calling_rate_check(document):
    """429 is declared at the route (`openapi_extra=problems(429)`): every view that calls
    rate_check must document it, and every operation documenting it must call rate_check."""
    calling = {
        api.get_openapi_operation_id(op)
        for op in _operations()
        if rate_check.__name__ in inspect.unwrap(op.view_func).__code__.co_names
    }
    documenting = {
        operation["operationId"]
        for _path, _method, operation in _all_operations(document)
        if "429" in operation["responses"]
    }
    assert calling
    assert calling == documenting


def test_problem_schema_describes_the_problems_sent(document, anonymous_api):
    body = anonymous_api.get("/api/v1/me").json()
    validate(document, {"$ref": "#/components/schemas/Problem"}, body)
    invalid = anonymous_api.get("/api/v1/fees/quote", amount="x").json()
    assert invalid["errors"]
    validate(document, {"$ref": "#/components/schemas/Problem"}, invalid)


# --- real answers match the documented schemas --------------------------------------------


class Party:
    def __init__(self, user):
        self.user = user
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token_create(user=user, name='contract')[1]}"}

    def get(self, path, params=None):
        return self.client.get(path, params or {}, headers=self.headers)

    def post(self, path, body, **headers):
        return self.client.post(
            path, json.dumps(body), content_type=JSON, headers={**self.headers, **headers}
        )


@pytest.fixture
def marketplace(db):
    """A client and a freelancer with one of everything between them: a post with a
    proposal under interview, an invitation, a pending offer, and a contract with a
    released milestone (so its fee tiers show)."""
    client, freelancer = job_client(), funded_freelancer()
    job = job_post(client=client)
    proposal = make_proposal(job=job, freelancer=freelancer)
    as_client, as_freelancer = Party(client), Party(freelancer)
    message = as_client.post(f"/api/v1/proposals/{proposal.pk}/messages", {"body": "Hello!"})
    assert message.status_code == 201, message.content
    make_invitation(job=job_post(client=client), freelancer=freelancer)
    make_offer(job=job_post(client=client), freelancer=freelancer)
    contract = contract_fixed((60_000, 20_000), client=client, freelancer=freelancer)
    milestone = contract.milestones.order_by("position").first()
    funded = as_client.post(
        f"/api/v1/milestones/{milestone.pk}/fund",
        {"payment_method": "pm_card_visa"},
        **{"Idempotency-Key": "contract-fund"},
    )
    assert funded.status_code == 200, funded.content
    submitted = as_freelancer.client.post(
        f"/api/v1/milestones/{milestone.pk}/submit",
        {"message": "Done.", "criteria_met": [c.pk for c in milestone.criteria.all()]},
        headers=as_freelancer.headers,
    )
    assert submitted.status_code == 200, submitted.content
    approved = as_client.post(f"/api/v1/milestones/{milestone.pk}/approve", {})
    assert approved.status_code == 200, approved.content
    second = contract.milestones.order_by("position").last()
    assert second is not None
    as_client.post(
        f"/api/v1/milestones/{second.pk}/fund",
        {"payment_method": "pm_card_visa"},
        **{"Idempotency-Key": "contract-fund-2"},
    )
    dispute = as_client.post(f"/api/v1/milestones/{second.pk}/disputes", {"reason": "Late"})
    assert dispute.status_code == 201, dispute.content
    return {
        "client": as_client,
        "freelancer": as_freelancer,
        "ids": {
            "job_id": job.pk,
            "proposal_id": proposal.pk,
            "offer_id": make_offer(job=job_post(client=client), freelancer=freelancer).pk,
            "contract_id": contract.pk,
            "conversation_id": message.json()["conversation_id"],
            "profile_id": freelancer.freelancer.profiles.get(is_general=True).pk,
            "kind": "fees",
            "dispute_id": dispute.json()["id"],
        },
        "users": {"/api/v1/clients/": client.pk, "/api/v1/freelancers/": freelancer.pk},
    }


# Required query parameters of the reads that have some.
QUERIES = {
    "/api/v1/fees/quote": {"amount": "600.00"},
    "/api/v1/insights/gig-math": {"bid_type": "fixed", "bid_amount": "600.00", "work_hours": "10"},
}
# Reads that answer files, not JSON, or need objects this test does not make.
NOT_JSON_OR_NOT_MADE = {
    "/api/v1/wallet/export.csv",
    "/api/v1/conversations/{conversation_id}/attachments/{attachment_id}",
    "/api/v1/payouts/{payout_id}",
}


def _fill(path: str, marketplace) -> str | None:
    for prefix, user_id in marketplace["users"].items():
        if path.startswith(prefix):
            path = path.replace("{user_id}", str(user_id))
    ids = marketplace["ids"]

    def value(match):
        return str(ids[match.group(1)]) if match.group(1) in ids else match.group(0)

    filled = re.sub(r"{(\w+)}", value, path)
    return None if "{" in filled else filled


def test_every_read_answers_as_documented(document, marketplace):
    queries = dict(QUERIES, **{"/api/v1/connects/cost": {"job_id": marketplace["ids"]["job_id"]}})
    checked, unanswered = [], []
    for path, method, operation in _all_operations(document):
        if method != "get" or path in NOT_JSON_OR_NOT_MADE:
            continue
        url = _fill(path, marketplace)
        assert url is not None, f"no id for {path}: add it to the marketplace fixture"
        ok = False
        for party in ("client", "freelancer"):
            response = marketplace[party].get(url, queries.get(path))
            documented = operation["responses"].get(str(response.status_code))
            assert documented is not None, (path, party, response.status_code, response.content)
            content_type = response["Content-Type"].split(";")[0]
            schema = documented["content"][content_type]["schema"]
            validate(document, schema, response.json(), where=f"GET {path} as {party}")
            ok = ok or response.status_code == 200
        (checked if ok else unanswered).append(path)
    assert not unanswered, f"reads that answered no one with a 200: {unanswered}"
    assert len(checked) >= 40, checked


def test_writes_answer_as_documented_too(document, marketplace):
    """A few writes whose answers were described by another app's class of the same name."""
    ids = marketplace["ids"]
    operation = document["paths"]["/api/v1/proposals/{proposal_id}/messages"]["post"]
    response = marketplace["client"].post(
        f"/api/v1/proposals/{ids['proposal_id']}/messages", {"body": "Another"}
    )
    assert response.status_code == 201, response.content
    validate(document, operation["responses"]["201"]["content"][JSON]["schema"], response.json())
    operation = document["paths"]["/api/v1/conversations/{conversation_id}/messages"]["post"]
    response = marketplace["freelancer"].post(
        f"/api/v1/conversations/{ids['conversation_id']}/messages", {"body": "Hi"}
    )
    assert response.status_code == 201, response.content
    validate(document, operation["responses"]["201"]["content"][JSON]["schema"], response.json())


# --- validating against the document ------------------------------------------------------
# With jsonschema_rs (JSON Schema 2020-12, as OpenAPI 3.1 uses it), stricter than the standard
# in one way on purpose: an object schema with `properties` and no `additionalProperties`
# refuses properties it does not list, so a document describing another class (with other
# fields) fails here.

# Keys whose value maps names to schemas, and keys whose value is data, not a schema.
SCHEMA_MAPS = {"properties", "patternProperties", "$defs", "schemas"}
DATA = {"default", "examples", "example", "const", "enum"}


def _strict(node: Any) -> Any:
    """A copy of a schema (or of `components`) whose object schemas that list `properties`
    refuse others unless they say otherwise."""
    if isinstance(node, list):
        return [_strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    copy = {
        key: (
            value
            if key in DATA
            else {name: _strict(sub) for name, sub in value.items()}
            if key in SCHEMA_MAPS and isinstance(value, dict)
            else _strict(value)
        )
        for key, value in node.items()
    }
    if "properties" in copy:
        copy.setdefault("additionalProperties", False)
    return copy


def resolve(document, ref: str) -> dict[str, Any]:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def validate(document, schema, value, where: str = "") -> None:
    validator = jsonschema_rs.Draft202012Validator(
        _strict({**schema, "components": document["components"]}), validate_formats=True
    )
    errors = [
        f"$/{'/'.join(map(str, error.instance_path))}: {error.message}"
        for error in validator.iter_errors(value)
    ]
    assert not errors, f"{where}: " + "; ".join(errors[:10])
