"""The operator console's branding, and its views of core and ledger records.

They are registered here, in the presentation layer, because the console is presentation:
core and ledger stay free of admin code. Ledger records are read-only (transfers are
immutable; mistakes are corrected by reversing transfers), and policy versions are only
ever added, through `policy_add`, never edited."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.html import format_html

from openlance.accounts.admin import ReadOnlyAdmin
from openlance.accounts.models import User
from openlance.accounts.services import audit_record
from openlance.core import clock
from openlance.core.errors import DomainError, NotFound
from openlance.core.models import IdempotencyRecord, OutboxEvent, Policy, PolicyKind
from openlance.core.money import Money
from openlance.core.policies import policy_version_at
from openlance.core.services import policy_add
from openlance.ledger.models import Entry, LedgerAccount, Transfer

admin.site.site_header = "Openlance operator console"
admin.site.site_title = "Openlance operator console"
admin.site.index_title = "Operations"
admin.site.site_url = "/"


def _money(cents: int, currency: str) -> str:
    return str(Money(cents, currency))


class PolicyAddForm(forms.Form):
    kind = forms.ChoiceField(choices=PolicyKind.choices)
    label = forms.CharField(max_length=64, help_text="A short name, e.g. “2027 fees”.")
    effective_from = forms.DateTimeField(
        help_text="UTC, e.g. 2027-01-01 00:00. Now or later: history is never rewritten.",
        widget=forms.DateTimeInput(attrs={"placeholder": "YYYY-MM-DD HH:MM"}),
    )
    params = forms.JSONField(
        widget=forms.Textarea(attrs={"rows": 22, "cols": 90, "class": "vLargeTextField"}),
        help_text="The parameters as JSON; they are checked against the kind's schema.",
    )
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 90}),
        help_text="Why this change; shown with the version on the public policies page.",
    )


def place_policy_errors(form: PolicyAddForm, error: DomainError) -> None:
    """Schema errors name a path inside the params ("fees.tiers.0.rate_bp"); show them on
    the params field with that path, and the rest on their own fields."""
    if not error.field_errors:
        form.add_error(None, error.detail)
        return
    for field, reasons in error.field_errors.items():
        for reason in reasons:
            if field in form.fields:
                form.add_error(field, reason)
            else:
                form.add_error("params", f"{field}: {reason}")


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = ["kind", "label", "effective_from", "status", "created_by"]
    list_filter = ["kind"]
    ordering = ["kind", "-effective_from"]
    readonly_fields = ["kind", "label", "effective_from", "pretty_params", "note", "created_at"]
    exclude = ["params", "created_by"]

    @admin.display(description="Status")
    def status(self, policy: Policy) -> str:
        now = clock.now()
        if policy.effective_from > now:
            return "scheduled"
        try:
            current = policy_version_at(policy.kind, now)
        except NotFound:
            return "superseded"
        return "in force" if current.pk == policy.pk else "superseded"

    @admin.display(description="Parameters")
    def pretty_params(self, policy: Policy) -> str:
        return format_html("<pre>{}</pre>", json.dumps(policy.params, indent=2))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        actor = request.user
        assert isinstance(actor, User)
        if request.method == "POST":
            form = PolicyAddForm(request.POST)
            if form.is_valid():
                try:
                    with transaction.atomic():
                        policy = policy_add(
                            kind=form.cleaned_data["kind"],
                            label=form.cleaned_data["label"],
                            effective_from=form.cleaned_data["effective_from"],
                            params=form.cleaned_data["params"],
                            note=form.cleaned_data["note"],
                            created_by=actor,
                        )
                        audit_record(
                            actor=actor,
                            action="policy.added",
                            target=policy,
                            detail={
                                "kind": policy.kind,
                                "label": policy.label,
                                "effective_from": policy.effective_from.isoformat(),
                            },
                        )
                except DomainError as error:
                    place_policy_errors(form, error)
                else:
                    self.message_user(
                        request, f"Added {policy}. It takes effect on its date.", messages.SUCCESS
                    )
                    return redirect("admin:core_policy_changelist")
        else:
            form = PolicyAddForm(initial=self._start_from(request.GET.get("kind", "")))
        context = {
            **self.admin_site.each_context(request),
            "title": "Add a policy version",
            "opts": self.model._meta,
            "form": form,
            "kinds": PolicyKind.choices,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/core/policy/add_version.html", context)

    @staticmethod
    def _start_from(kind: str) -> dict[str, Any]:
        """Prefill with the version in force, since a new version is usually a small edit."""
        if kind not in PolicyKind.values:
            return {}
        try:
            current = policy_version_at(kind, clock.now())
        except NotFound:
            return {"kind": kind}
        return {"kind": kind, "params": current.params, "effective_from": clock.now()}


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "created_at", "processed_at", "attempts"]
    list_filter = ["kind", ("processed_at", admin.EmptyFieldListFilter)]
    search_fields = ["kind"]


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ["scope", "key", "status_code", "created_at"]
    search_fields = ["scope", "key"]
    exclude = ["response_body"]


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdmin):
    list_display = ["code", "kind", "owner", "balance", "may_go_negative", "created_at"]
    list_filter = ["kind", "currency"]
    search_fields = ["code", "owner__email", "reference"]
    list_select_related = ["owner"]

    @admin.display(description="Balance", ordering="balance_cents")
    def balance(self, account: LedgerAccount) -> str:
        return _money(account.balance_cents, account.currency)


class EntryInline(admin.TabularInline):
    model = Entry
    fields = ["account", "amount", "balance_after"]
    readonly_fields = ["account", "amount", "balance_after"]
    extra = 0
    can_delete = False

    @admin.display(description="Amount")
    def amount(self, entry: Entry) -> str:
        return _money(entry.amount_cents, entry.currency)

    @admin.display(description="Balance after")
    def balance_after(self, entry: Entry) -> str:
        return _money(entry.balance_after_cents, entry.currency)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "description", "created_at", "idempotency_key"]
    list_filter = ["kind", "currency"]
    search_fields = ["idempotency_key", "description"]
    date_hierarchy = "created_at"
    inlines = [EntryInline]


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "transfer", "account", "amount", "balance_after"]
    search_fields = ["account__code", "transfer__idempotency_key"]
    list_select_related = ["transfer", "account"]

    @admin.display(description="Amount", ordering="amount_cents")
    def amount(self, entry: Entry) -> str:
        return _money(entry.amount_cents, entry.currency)

    @admin.display(description="Balance after")
    def balance_after(self, entry: Entry) -> str:
        return _money(entry.balance_after_cents, entry.currency)
