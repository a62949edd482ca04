"""Operator console for the Job Success Score: scores and their history are read-only
records computed from contracts and feedback; the one action recomputes the selected
scores now through the service (recorded with the reason "recomputed by an operator")."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from openlance.accounts.admin import ReadOnlyAdmin
from openlance.reputation.models import JssChange, JssReason, JssScore
from openlance.reputation.services import jss_recompute


@admin.register(JssScore)
class JssScoreAdmin(ReadOnlyAdmin):
    list_display = [
        "freelancer",
        "score",
        "counted_contracts",
        "counted_clients",
        "policy",
        "computed_at",
        "changed_at",
        "next_change_at",
    ]
    search_fields = ["freelancer__email"]
    list_select_related = ["freelancer", "policy"]
    actions = ["recompute"]

    @admin.action(description="Recompute the selected scores now")
    def recompute(self, request: HttpRequest, queryset: QuerySet[JssScore]) -> None:
        ids = list(queryset.values_list("freelancer_id", flat=True))
        for freelancer_id in ids:
            jss_recompute(freelancer_id=freelancer_id, reason=JssReason.MANUAL)
        messages.success(request, f"{len(ids)} score(s) recomputed.")


@admin.register(JssChange)
class JssChangeAdmin(ReadOnlyAdmin):
    list_display = ["freelancer", "at", "old_score", "new_score", "reason", "contract"]
    list_filter = ["reason"]
    search_fields = ["freelancer__email", "contract__title"]
    list_select_related = ["freelancer", "contract"]
