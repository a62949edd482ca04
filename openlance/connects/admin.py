"""Operator console: Connects accounts, lots and moves to look at, never to edit (the
Connects ledger changes only through its services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from openlance.accounts.admin import ReadOnlyAdmin
from openlance.connects.models import ConnectsAccount, ConnectsEntry, ConnectsLot, ConnectsMove


@admin.register(ConnectsAccount)
class ConnectsAccountAdmin(ReadOnlyAdmin):
    list_display = ["user", "balance", "plan", "next_grant_at", "plus_cancelled_at", "created_at"]
    list_filter = ["plan", ("plus_cancelled_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email"]
    list_select_related = ["user"]


@admin.register(ConnectsLot)
class ConnectsLotAdmin(ReadOnlyAdmin):
    list_display = ["id", "user", "source", "units", "remaining", "granted_at", "expires_at"]
    list_filter = ["source"]
    search_fields = ["account__user__email"]
    list_select_related = ["account__user"]
    date_hierarchy = "granted_at"

    @admin.display(description="User", ordering="account__user__email")
    def user(self, lot: ConnectsLot) -> str:
        return lot.account.user.email


class ConnectsEntryInline(admin.TabularInline):
    model = ConnectsEntry
    fields = ["lot", "units"]
    readonly_fields = ["lot", "units"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ConnectsMove)
class ConnectsMoveAdmin(ReadOnlyAdmin):
    list_display = ["id", "user", "kind", "units", "balance_after", "description", "created_at"]
    list_filter = ["kind"]
    search_fields = ["account__user__email", "key", "reference"]
    list_select_related = ["account__user"]
    date_hierarchy = "created_at"
    inlines = [ConnectsEntryInline]

    @admin.display(description="User", ordering="account__user__email")
    def user(self, move: ConnectsMove) -> str:
        return move.account.user.email
