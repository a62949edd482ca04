from __future__ import annotations

from django.db.models import QuerySet

from openlance.core.models import Policy


def policy_versions(*, kind: str | None = None) -> QuerySet[Policy]:
    versions = Policy.objects.order_by("kind", "-effective_from")
    return versions.filter(kind=kind) if kind else versions
