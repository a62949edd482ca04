"""Operator console for feedback: feedback and windows are read-only records (staff see the
private part; users never do); mediators flag a client whose feedback is repeatedly
unfounded and poor, and clear the flag, through the services, with a reason that lands in
the audit log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from openlance.accounts.admin import ReadOnlyAdmin, ReasonForm, reason_page
from openlance.accounts.models import User
from openlance.accounts.selectors import is_mediator
from openlance.core.errors import DomainError
from openlance.reviews.models import ClientFeedbackFlag, Feedback, FeedbackDirection, FeedbackWindow
from openlance.reviews.services import (
    MAX_FLAG_REASON,
    client_feedback_flag,
    client_feedback_unflag,
)


def _staff(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _with_reason(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    *,
    title: str,
    intro: str,
    clients: list[User],
    selected: list[Any],
    action: str,
    button: str,
    act: Callable[[User, User, str], object],
    done: str,
) -> HttpResponse | None:
    """An action that needs a reason: the console's reason page, then `act` on each client
    (refusals reported one by one)."""
    form = ReasonForm(
        request.POST if "apply" in request.POST else None,
        help_text="Kept with the flag and in the audit log.",
        max_length=MAX_FLAG_REASON,
    )
    if form.is_valid():
        count = 0
        for client in clients:
            try:
                act(_staff(request), client, form.cleaned_data["reason"])
            except (DomainError, PermissionDenied) as error:
                detail = error.detail if isinstance(error, DomainError) else str(error)
                model_admin.message_user(request, f"{client}: {detail}", messages.ERROR)
            else:
                count += 1
        model_admin.message_user(request, done.format(count=count), messages.SUCCESS)
        return None
    return reason_page(
        request,
        model_admin,
        title=title,
        intro=intro,
        objects=clients,
        selected=selected,
        form=form,
        action=action,
        button=button,
    )


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyAdmin):
    list_display = [
        "contract",
        "direction",
        "author",
        "recipient",
        "overall",
        "recommend",
        "counts",
        "submitted_at",
        "revealed_at",
    ]
    list_filter = ["direction", "counts", ("revealed_at", admin.EmptyFieldListFilter)]
    search_fields = ["author__email", "recipient__email", "contract__title"]
    list_select_related = ["contract", "author", "recipient"]
    actions = ["flag_clients"]

    def has_flag_permission(self, request: HttpRequest) -> bool:
        return is_mediator(user=_staff(request))

    @admin.action(
        description="Flag the clients who wrote the selected feedback (it stops counting)…",
        permissions=["flag"],
    )
    def flag_clients(
        self, request: HttpRequest, queryset: QuerySet[Feedback]
    ) -> HttpResponse | None:
        rows = list(
            queryset.filter(direction=FeedbackDirection.CLIENT_TO_FREELANCER).select_related(
                "author"
            )
        )
        clients = list({row.author_id: row.author for row in rows}.values())
        return _with_reason(
            self,
            request,
            title="Flag clients for unfounded poor feedback",
            intro="The feedback these clients gave freelancers stays visible but no longer "
            "counts toward the Job Success Score, until the flag is cleared:",
            clients=clients,
            selected=[row.pk for row in rows],
            action="flag_clients",
            button="Flag",
            act=lambda staff, client, reason: client_feedback_flag(
                staff=staff, client=client, reason=reason
            ),
            done="Flagged {count} client(s).",
        )


@admin.register(FeedbackWindow)
class FeedbackWindowAdmin(ReadOnlyAdmin):
    list_display = ["contract", "opens_at", "closes_at", "revealed_at", "reveal_reason"]
    list_filter = ["reveal_reason", ("revealed_at", admin.EmptyFieldListFilter)]
    search_fields = ["contract__title"]
    list_select_related = ["contract"]


@admin.register(ClientFeedbackFlag)
class ClientFeedbackFlagAdmin(ReadOnlyAdmin):
    list_display = ["client", "flagged_by", "flagged_at", "cleared_by", "cleared_at"]
    list_filter = [("cleared_at", admin.EmptyFieldListFilter)]
    search_fields = ["client__email", "reason"]
    list_select_related = ["client", "flagged_by", "cleared_by"]
    actions = ["clear_flags"]

    def has_flag_permission(self, request: HttpRequest) -> bool:
        return is_mediator(user=_staff(request))

    @admin.action(
        description="Clear the selected flags (the feedback counts again)…", permissions=["flag"]
    )
    def clear_flags(
        self, request: HttpRequest, queryset: QuerySet[ClientFeedbackFlag]
    ) -> HttpResponse | None:
        flags = list(queryset.filter(cleared_at__isnull=True).select_related("client"))
        return _with_reason(
            self,
            request,
            title="Clear flags",
            intro="The feedback these clients gave freelancers counts again:",
            clients=[flag.client for flag in flags],
            selected=[flag.pk for flag in flags],
            action="clear_flags",
            button="Clear flags",
            act=lambda staff, client, reason: client_feedback_unflag(
                staff=staff, client=client, reason=reason
            ),
            done="Cleared {count} flag(s).",
        )
