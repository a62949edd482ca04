"""Operator console: users and their access, API tokens, the audit log. Every change an
operator makes here goes through a service and lands in the audit log. Also the pieces the
console's other pages share: `ReadOnlyAdmin` (amounts shown as money, through
`core.console`), `StaffRoleAdmin` (a read-only page for the staff roles whose work needs it),
and the reason page of an action that needs a reason (`ReasonForm`, `reason_page`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from django import forms
from django.contrib import admin, messages
from django.core.validators import MaxLengthValidator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from openlance.accounts.models import AuditLogEntry, PersonalAccessToken, User
from openlance.accounts.selectors import MEDIATOR_GROUP, VERIFIER_GROUP, has_staff_role
from openlance.accounts.services import (
    audit_record,
    token_revoke,
    user_access_refusals,
    user_set_access,
)
from openlance.core.console import MoneyFieldsAdmin, MoneyFieldsInline

# The staff roles of SPEC §1, as groups (migrations 0002 onward create them). Verifier and
# Mediator are named in `accounts.selectors`, where the services check them.
SUPPORT_GROUP = "Support"
FINANCE_GROUP = "Finance"
POLICY_ADMIN_GROUP = "Policy admin"
STAFF_ROLES = (SUPPORT_GROUP, MEDIATOR_GROUP, VERIFIER_GROUP, FINANCE_GROUP, POLICY_ADMIN_GROUP)


def _staff(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


class ReadOnlyAdmin(MoneyFieldsAdmin):
    """Records that are history (or owned by their user): operators look, never edit. Their
    amounts show as money ("$900.00"), never as raw cents."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def has_any_staff_role(request: HttpRequest, roles: Iterable[str]) -> bool:
    """Whether the signed-in user is active staff in one of `roles` (a superuser holds
    every role)."""
    user = request.user
    return isinstance(user, User) and any(has_staff_role(user=user, group=g) for g in roles)


class StaffRoleAdmin(ReadOnlyAdmin):
    """A read-only console page for the staff roles whose work needs it (`view_roles`), and
    for no one else: not listed on the console's index, and a 403 on its pages. Decided by
    role (`accounts.selectors.has_staff_role`), not by model permissions."""

    view_roles: ClassVar[tuple[str, ...]] = ()

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_any_staff_role(request, self.view_roles)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)


class StaffRoleInline(MoneyFieldsInline):
    """Rows shown on a `StaffRoleAdmin` page (a contract's milestones), read-only, for the
    same kind of role check. `fields` list what is shown (amounts as money); all of it is
    read-only."""

    view_roles: ClassVar[tuple[str, ...]] = ()
    extra = 0
    can_delete = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_any_staff_role(request, self.view_roles)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReasonForm(forms.Form):
    """The reason an operator gives for an action (reject, remove, flag)."""

    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 4, "cols": 80}))

    def __init__(
        self,
        *args: Any,
        help_text: str = "Shown to the person concerned.",
        max_length: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["reason"]
        field.help_text = help_text
        if max_length is not None:
            assert isinstance(field, forms.CharField)
            field.max_length = max_length
            field.validators.append(MaxLengthValidator(max_length))
            field.widget.attrs["maxlength"] = str(max_length)


def reason_page(
    request: HttpRequest,
    model_admin: admin.ModelAdmin,
    *,
    title: str,
    objects: list[Any],
    form: ReasonForm,
    action: str,
    button: str,
    intro: str = "This applies to:",
    selected: Iterable[Any] | None = None,
) -> TemplateResponse:
    """The intermediate page of an action that needs a reason: `objects` listed under
    `intro`, the form, and (for a changelist action, `action` named) the selected rows
    posted back with `apply`. `selected` are those rows' keys when the action acts on
    something other than the rows themselves (the clients who wrote the selected
    feedback); by default the objects' own. A page of its own (`action` empty) posts to
    itself."""
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "intro": intro,
        "opts": model_admin.model._meta,
        "objects": objects,
        "selected": list(selected) if selected is not None else [obj.pk for obj in objects],
        "form": form,
        "action": action,
        "button": button,
    }
    return TemplateResponse(request, "admin/accounts/reason_form.html", context)


class UserAccessForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["is_active", "is_staff", "is_superuser", "groups"]


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    form = UserAccessForm
    list_display = [
        "email",
        "display_name",
        "is_freelancer",
        "is_client",
        "active_role",
        "is_staff",
        "is_active",
        "date_joined",
    ]
    list_filter = ["is_staff", "is_active", "is_freelancer", "is_client", "groups"]
    search_fields = ["email", "first_name", "last_name"]
    ordering = ["-date_joined"]
    readonly_fields = [
        "email",
        "first_name",
        "last_name",
        "is_freelancer",
        "is_client",
        "active_role",
        "date_joined",
        "last_login",
    ]
    fieldsets = [
        ("Person", {"fields": ["email", "first_name", "last_name", "date_joined", "last_login"]}),
        ("Marketplace roles", {"fields": ["is_freelancer", "is_client", "active_role"]}),
        (
            "Access",
            {
                "fields": ["is_active", "is_staff", "is_superuser", "groups"],
                "description": "Staff roles are groups (Support, Mediator, Verifier, Finance, "
                "Policy admin). Deactivate an account instead of deleting it.",
            },
        ),
    ]
    filter_horizontal = ["groups"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        form_class = super().get_form(request, obj, change, **kwargs)
        staff = _staff(request)

        class Form(form_class):  # type: ignore[valid-type,misc]
            def clean(self) -> dict[str, Any]:
                cleaned: dict[str, Any] = super().clean() or {}
                if obj is not None:
                    refusals = user_access_refusals(
                        actor=staff,
                        user=obj,
                        is_active=bool(cleaned.get("is_active")),
                        is_staff=bool(cleaned.get("is_staff")),
                        is_superuser=bool(cleaned.get("is_superuser")),
                    )
                    for field, reasons in refusals.items():
                        for reason in reasons:
                            self.add_error(field, reason)
                return cleaned

        return Form

    def save_model(
        self, request: HttpRequest, obj: User, form: forms.ModelForm, change: bool
    ) -> None:
        stored = User.objects.get(pk=obj.pk)
        user_set_access(
            actor=_staff(request),
            user=stored,
            is_active=form.cleaned_data["is_active"],
            is_staff=form.cleaned_data["is_staff"],
            is_superuser=form.cleaned_data["is_superuser"],
            groups=form.cleaned_data["groups"],
        )

    def save_related(
        self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool
    ) -> None:
        """Groups were saved by `user_set_access` with the rest of the access change."""


@admin.register(PersonalAccessToken)
class PersonalAccessTokenAdmin(ReadOnlyAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "user__email"]
    list_select_related = ["user"]
    exclude = ["token_hash"]
    actions = ["revoke"]

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.change_personalaccesstoken")

    @admin.action(description="Revoke selected tokens", permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[PersonalAccessToken]) -> None:
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True).select_related("user"):
            token_revoke(user=token.user, token_id=token.pk)
            audit_record(
                actor=_staff(request),
                action="token.revoked",
                target=token,
                detail={"owner": token.user.email, "name": token.name},
            )
            revoked += 1
        self.message_user(request, f"Revoked {revoked} token(s).", messages.SUCCESS)


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor", "action", "target_type", "target_id"]
    list_filter = ["action", "target_type"]
    search_fields = ["action", "target_id", "actor__email"]
    list_select_related = ["actor"]
    date_hierarchy = "created_at"
