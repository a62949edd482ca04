"""Operator console for the Job Success Score and badges: scores, snapshots, badges and
their history are read-only records computed from contracts and feedback; the actions
recompute the selected scores or badges now through the services (recorded with the reason
"recomputed by an operator", and in the staff audit log) and are the mediators' to run,
as support only reads. Account holds are placed (with
the account's email and a reason) and lifted (with a reason) by mediators, through the
services, audited."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from openlance.accounts.admin import ReadOnlyAdmin, ReasonForm, reason_page
from openlance.accounts.models import User
from openlance.accounts.selectors import is_mediator
from openlance.accounts.services import audit_record
from openlance.core.errors import DomainError
from openlance.reputation.models import (
    AccountHold,
    BadgeChange,
    BadgeReason,
    BadgeStatus,
    JssChange,
    JssReason,
    JssScore,
    JssSnapshot,
)
from openlance.reputation.services import (
    MAX_HOLD_REASON,
    account_hold_lift,
    account_hold_place,
    badges_recompute,
    jss_recompute,
)


def _staff(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


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

    def has_recompute_permission(self, request: HttpRequest) -> bool:
        return is_mediator(user=_staff(request))

    @admin.action(description="Recompute the selected scores now", permissions=["recompute"])
    def recompute(self, request: HttpRequest, queryset: QuerySet[JssScore]) -> None:
        actor = _staff(request)
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


@admin.register(JssSnapshot)
class JssSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["freelancer", "week_start", "score", "taken_at"]
    search_fields = ["freelancer__email"]
    list_select_related = ["freelancer"]
    date_hierarchy = "week_start"


@admin.register(BadgeStatus)
class BadgeStatusAdmin(ReadOnlyAdmin):
    list_display = ["freelancer", "rising_talent", "top_rated", "top_rated_plus", "computed_at"]
    list_filter = ["rising_talent", "top_rated", "top_rated_plus"]
    search_fields = ["freelancer__email"]
    list_select_related = ["freelancer"]
    actions = ["recompute"]

    def has_recompute_permission(self, request: HttpRequest) -> bool:
        return is_mediator(user=_staff(request))

    @admin.action(
        description="Recompute the selected freelancers' badges now", permissions=["recompute"]
    )
    def recompute(self, request: HttpRequest, queryset: QuerySet[BadgeStatus]) -> None:
        rows = list(queryset.select_related("freelancer"))
        for row in rows:
            before = [badge.value for badge in row.held]
            with transaction.atomic():
                after = badges_recompute(freelancer_id=row.freelancer_id, reason=BadgeReason.MANUAL)
                audit_record(
                    actor=_staff(request),
                    action="badges.recomputed",
                    target=after,
                    detail={
                        "freelancer_id": row.freelancer_id,
                        "old_badges": before,
                        "new_badges": [badge.value for badge in after.held],
                    },
                )
        messages.success(request, f"{len(rows)} freelancer(s)' badges recomputed.")


@admin.register(BadgeChange)
class BadgeChangeAdmin(ReadOnlyAdmin):
    list_display = ["freelancer", "badge", "earned", "at", "reason"]
    list_filter = ["badge", "earned", "reason"]
    search_fields = ["freelancer__email"]
    list_select_related = ["freelancer"]


class HoldForm(ReasonForm):
    email = forms.EmailField(label="Account email", help_text="The account to hold.")
    field_order = ["email", "reason"]

    def clean_email(self) -> User:
        email = self.cleaned_data["email"]
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise forms.ValidationError("There is no account with this email.")
        return user


@admin.register(AccountHold)
class AccountHoldAdmin(ReadOnlyAdmin):
    list_display = ["user", "placed_by", "placed_at", "lifted_by", "lifted_at"]
    list_filter = [("lifted_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "reason", "lift_reason"]
    list_select_related = ["user", "placed_by", "lifted_by"]
    actions = ["lift"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_mediator(user=_staff(request))

    def has_lift_permission(self, request: HttpRequest) -> bool:
        return is_mediator(user=_staff(request))

    def add_view(
        self,
        request: HttpRequest,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = HoldForm(
            request.POST if request.method == "POST" else None,
            help_text="Kept with the hold and in the audit log.",
            max_length=MAX_HOLD_REASON,
        )
        if form.is_valid():
            user = form.cleaned_data["email"]
            try:
                account_hold_place(
                    staff=_staff(request), user=user, reason=form.cleaned_data["reason"]
                )
            except DomainError as error:
                form.add_error(None, error.detail)
            else:
                self.message_user(request, f"{user.email} is on hold.", messages.SUCCESS)
                return redirect("admin:reputation_accounthold_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": "Place a hold on an account",
            "opts": self.model._meta,
            "form": form,
        }
        return TemplateResponse(request, "admin/reputation/place_hold.html", context)

    @admin.action(description="Lift the selected holds…", permissions=["lift"])
    def lift(self, request: HttpRequest, queryset: QuerySet[AccountHold]) -> HttpResponse | None:
        holds = list(queryset.filter(lifted_at__isnull=True).select_related("user"))
        form = ReasonForm(
            request.POST if "apply" in request.POST else None,
            help_text="Kept with the hold and in the audit log.",
            max_length=MAX_HOLD_REASON,
        )
        if form.is_valid():
            lifted = 0
            for hold in holds:
                try:
                    account_hold_lift(
                        staff=_staff(request), user=hold.user, reason=form.cleaned_data["reason"]
                    )
                except (DomainError, PermissionDenied) as error:
                    detail = error.detail if isinstance(error, DomainError) else str(error)
                    self.message_user(request, f"{hold.user}: {detail}", messages.ERROR)
                else:
                    lifted += 1
            self.message_user(request, f"Lifted {lifted} hold(s).", messages.SUCCESS)
            return None
        return reason_page(
            request,
            self,
            title="Lift the selected holds",
            intro="These accounts can hold Top Rated again once they meet its criteria:",
            objects=holds,
            form=form,
            action="lift",
            button="Lift holds",
        )
