"""The operator console's dispute queue: every dispute with its deadlines, newest deadline
first, read-only here; mediators act on the dispute's own page (/disputes/<id>/), where each
proposal and arbitration is written to the audit log."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from openlance.accounts.admin import ReadOnlyAdmin
from openlance.disputes.models import Dispute


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "contract",
        "opened_by",
        "amount_cents",
        "state",
        "respond_by",
        "mediate_by",
        "mediator",
        "decided_by",
        "act",
    ]
    list_filter = ["state", "opened_by", "decided_by"]
    search_fields = ["contract__title", "contract__client__email", "contract__freelancer__email"]
    list_select_related = ["contract", "mediator"]
    ordering = ["respond_by", "id"]

    @admin.display(description="Mediate")
    def act(self, dispute: Dispute) -> str:
        return format_html(
            '<a href="{}">Open the dispute</a>', reverse("dispute_detail", args=[dispute.pk])
        )
