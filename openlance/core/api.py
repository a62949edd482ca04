from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from ninja import Router, Schema

from openlance.core import clock
from openlance.core.apitools import OneOf
from openlance.core.models import Policy, PolicyKind
from openlance.core.policies import (
    parse_params,
    policy_json_schema,
    policy_schema,
    policy_version_at,
)
from openlance.core.selectors import policy_versions

router = Router(tags=["policies"])


class PolicyVersionOut(Schema):
    id: int
    kind: Annotated[str, OneOf(PolicyKind)]
    label: str
    effective_from: datetime
    in_force: bool
    params: dict[str, Any]
    note: str


class PolicyKindOut(Schema):
    kind: Annotated[str, OneOf(PolicyKind)]
    title: str
    current: PolicyVersionOut
    history: list[PolicyVersionOut]
    schema_: dict[str, Any]


def _version_out(version: Policy, current_id: int) -> PolicyVersionOut:
    params = parse_params(version.kind, version.params).model_dump(mode="json")
    return PolicyVersionOut(
        id=version.pk,
        kind=version.kind,
        label=version.label,
        effective_from=version.effective_from,
        in_force=version.pk == current_id,
        params=params,
        note=version.note,
    )


def _kind_out(kind: PolicyKind) -> PolicyKindOut:
    current = policy_version_at(kind, clock.now())
    return PolicyKindOut(
        kind=kind.value,
        title=kind.label,
        current=_version_out(current, current.pk),
        history=[_version_out(v, current.pk) for v in policy_versions(kind=kind)],
        schema_=policy_json_schema(kind),
    )


@router.get(
    "/policies",
    response=list[PolicyKindOut],
    auth=None,
    summary="Every policy in force, with its history",
)
def policies_list(request: Any) -> list[PolicyKindOut]:
    """Every rule that touches a user — fees, Connects, the Job Success Score — as the version
    in force now plus all earlier and scheduled versions. Public: rules are not secrets."""
    return [_kind_out(kind) for kind in PolicyKind]


@router.get("/policies/{kind}", response=PolicyKindOut, auth=None, summary="One policy kind")
def policies_detail(request: Any, kind: str) -> PolicyKindOut:
    policy_schema(kind)
    return _kind_out(PolicyKind(kind))
