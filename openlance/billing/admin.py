"""Operator console: the sandbox gateway's record, and settling its payouts by hand the way
a bank would (paid, or returned)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from openlance.accounts.admin import ReadOnlyAdmin
from openlance.accounts.models import User
from openlance.accounts.services import audit_record
from openlance.billing.gateway import sandbox_payout_set_status
from openlance.billing.models import SandboxOperation
from openlance.core.money import Money


@admin.register(SandboxOperation)
class SandboxOperationAdmin(ReadOnlyAdmin):
    list_display = ["reference", "kind", "status", "amount", "instrument", "reason", "created_at"]
    list_filter = ["kind", "status"]
    search_fields = ["reference", "idempotency_key", "instrument"]
    date_hierarchy = "created_at"
    actions = ["mark_paid", "mark_returned"]

    @admin.display(description="Amount", ordering="amount_cents")
    def amount(self, operation: SandboxOperation) -> str:
        return str(Money(operation.amount_cents, operation.currency))

    def has_settle_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("billing.change_sandboxoperation")

    def _settle(
        self, request: HttpRequest, queryset: QuerySet[SandboxOperation], *, returned: bool
    ) -> None:
        actor = request.user
        assert isinstance(actor, User)
        in_transit = queryset.filter(
            kind=SandboxOperation.Kind.PAYOUT, status=SandboxOperation.Status.IN_TRANSIT
        )
        settled = 0
        for operation in in_transit:
            result = sandbox_payout_set_status(reference=operation.reference, returned=returned)
            audit_record(
                actor=actor,
                action="sandbox.payout_returned" if returned else "sandbox.payout_paid",
                target=operation,
                detail={"reference": result.reference, "status": result.status.value},
            )
            settled += 1
        skipped = queryset.count() - settled
        self.message_user(
            request,
            f"Marked {settled} payout(s) {'returned' if returned else 'paid'}."
            + (f" Skipped {skipped} that are not payouts in transit." if skipped else ""),
            messages.SUCCESS if settled else messages.WARNING,
        )

    @admin.action(description="Mark selected payouts paid", permissions=["settle"])
    def mark_paid(self, request: HttpRequest, queryset: QuerySet[SandboxOperation]) -> None:
        self._settle(request, queryset, returned=False)

    @admin.action(description="Mark selected payouts returned", permissions=["settle"])
    def mark_returned(self, request: HttpRequest, queryset: QuerySet[SandboxOperation]) -> None:
        self._settle(request, queryset, returned=True)
