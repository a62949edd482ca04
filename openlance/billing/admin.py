"""Operator console: payouts (and returned payouts), withdrawal methods, pending earnings and
payout settings to look at, never to edit (they change only through the payout services and
the gateway's word); card charges, as recorded before each gateway call (one left `sent` is
settled by `manage.py card_charges_reconcile`); the sandbox gateway's record, and settling
its payouts by hand the way a bank would (paid, or returned)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from openlance.accounts.admin import ReadOnlyAdmin
from openlance.accounts.models import User
from openlance.accounts.services import audit_record
from openlance.billing.gateway import sandbox_payout_set_status
from openlance.billing.models import (
    CardCharge,
    Payout,
    PayoutSettings,
    PendingEarning,
    SandboxOperation,
    WithdrawalMethod,
)
from openlance.core.console import money_column


@admin.register(SandboxOperation)
class SandboxOperationAdmin(ReadOnlyAdmin):
    list_display = [
        "reference",
        "kind",
        "status",
        money_column("amount_cents", "Amount"),
        "instrument",
        "reason",
        "created_at",
    ]
    list_filter = ["kind", "status"]
    search_fields = ["reference", "idempotency_key", "instrument"]
    date_hierarchy = "created_at"
    actions = ["mark_paid", "mark_returned"]

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


@admin.register(CardCharge)
class CardChargeAdmin(ReadOnlyAdmin):
    list_display = [
        "key",
        "user",
        "purpose",
        "state",
        money_column("amount_cents", "Amount"),
        "gateway_reference",
        "decline_reason",
        "created_at",
        "settled_at",
    ]
    list_filter = ["state", "purpose"]
    search_fields = ["key", "subject", "gateway_reference", "user__email"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "user",
        "method",
        "trigger",
        "status",
        money_column("amount_cents", "Amount"),
        money_column("fee_cents", "Fee"),
        "failure_reason",
        "created_at",
        "closed_at",
    ]
    list_filter = ["status", "trigger", "method__kind"]
    search_fields = ["user__email", "key", "gateway_reference"]
    list_select_related = ["user", "method"]
    date_hierarchy = "created_at"


@admin.register(WithdrawalMethod)
class WithdrawalMethodAdmin(ReadOnlyAdmin):
    list_display = ["user", "kind", "last4", "is_default", "usable_from", "removed_at"]
    list_filter = ["kind", "is_default", ("removed_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "destination"]
    list_select_related = ["user"]


@admin.register(PendingEarning)
class PendingEarningAdmin(ReadOnlyAdmin):
    list_display = [
        "freelancer",
        "kind",
        money_column("amount_cents", "Amount"),
        "available_at",
        "released_at",
    ]
    list_filter = ["kind", ("released_at", admin.EmptyFieldListFilter)]
    search_fields = ["freelancer__email"]
    list_select_related = ["freelancer"]
    date_hierarchy = "available_at"


@admin.register(PayoutSettings)
class PayoutSettingsAdmin(ReadOnlyAdmin):
    list_display = ["user", "schedule", money_column("threshold_cents", "Threshold"), "updated_at"]
    list_filter = ["schedule"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
