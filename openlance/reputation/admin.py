"""Operator console for the Job Success Score: scores and their history are read-only
records computed from contracts and feedback; the one action recomputes the selected
scores now through the service (recorded with the reason "recomputed by an operator", and
in the staff audit log)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from openlance.accounts.admin import ReadOnlyAdmin
from openlance.accounts.models import User
from openlance.accounts.services import audit_record
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
        "next_change_at",
    ]
    search_fields = ["freelancer__email"]
    list_select_related = ["freelancer", "policy"]
    actions = ["recompute"]

    @admin.action(description="Recompute the selected scores now")
    def recompute(self, request: HttpRequest, queryset: QuerySet[JssScore]) -> None:
        actor = request.user
        assert isinstance(actor, User)
        rows = list(queryset.values_list("freelancer_id", "score"))
        for freelancer_id, old_score in rows:
            with transaction.atomic():
                row = jss_recompute(freelancer_id=freelancer_id, reason=JssReason.MANUAL)
                audit_record(
                    actor=actor,
                    action="jss.recomputed",
                    target=row,
                    detail={
                        "freelancer_id": freelancer_id,
                        "old_score": old_score,
                        "new_score": row.score,
                    },
                )
        messages.success(request, f"{len(rows)} score(s) recomputed.")


@admin.register(JssChange)
class JssChangeAdmin(ReadOnlyAdmin):
    list_display = ["freelancer", "at", "old_score", "new_score", "reason", "contract"]
    list_filter = ["reason"]
    search_fields = ["freelancer__email", "contract__title"]
    list_select_related = ["freelancer", "contract"]
