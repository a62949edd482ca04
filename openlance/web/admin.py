"""The operator console's branding, its views of core and ledger records, the ledger check
(finance), the verifier queue, job moderation, and the conversations of disputed contracts
(mediators).

They are registered here, in the presentation layer, because the console is presentation:
core and ledger stay free of admin code. Ledger records are read-only (transfers are
immutable; mistakes are corrected by reversing transfers), and policy versions are only
ever added, through `policy_add`, never edited. Amounts show as money (`core.console`).

Conversations are registered here rather than in messaging because who may read one depends
on disputes, a higher layer: a mediator reads the conversations of contracts under dispute
(the case file's messages, in full), and no other role reads anyone's messages."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Case, CharField, Count, IntegerField, QuerySet, Value, When
from django.db.models.functions import Cast, Concat
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html, format_html_join

from openlance.accounts.admin import (
    FINANCE_GROUP,
    ReadOnlyAdmin,
    ReasonForm,
    StaffRoleAdmin,
    StaffRoleInline,
    has_any_staff_role,
    reason_page,
)
from openlance.accounts.models import LocationVerification, User, VerificationStatus
from openlance.accounts.selectors import (
    MEDIATOR_GROUP,
    is_verifier,
    sign_in_hints_of,
    verification_for_reviewer,
)
from openlance.accounts.services import (
    audit_record,
    location_verification_approve,
    location_verification_reject,
)
from openlance.billing.checks import payment_violations
from openlance.billing.models import CardCharge, Payment, Relationship
from openlance.connects.checks import connects_violations
from openlance.connects.models import ConnectsAccount, ConnectsEntry, ConnectsMove
from openlance.core import clock
from openlance.core.console import MoneyFieldsInline, money_column, money_text
from openlance.core.errors import DomainError, NotFound
from openlance.core.models import IdempotencyRecord, OutboxEvent, Policy, PolicyKind
from openlance.core.policies import policy_version_at
from openlance.core.services import policy_add
from openlance.disputes.models import Dispute
from openlance.jobs.models import BudgetType, JobPost, JobState
from openlance.jobs.services import job_remove
from openlance.ledger.checks import ledger_violations
from openlance.ledger.models import Entry, LedgerAccount, Transfer
from openlance.messaging.models import Conversation, Message

admin.site.site_header = "Openlance operator console"
admin.site.site_title = "Openlance operator console"
admin.site.index_title = "Operations"
admin.site.site_url = "/"


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
        # Tomorrow at midnight: the form refuses the past, and the current time would be
        # past by the time the operator submits it.
        tomorrow = clock.now().astimezone(UTC).date() + timedelta(days=1)
        effective_from = datetime.combine(tomorrow, time(), tzinfo=UTC)
        return {"kind": kind, "params": current.params, "effective_from": effective_from}


class OutboxStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("pending", "Pending"),
            ("retrying", "Retrying"),
            ("dead", "Dead (gave up)"),
            ("delivered", "Delivered"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        waiting = queryset.filter(processed_at__isnull=True, dead_at__isnull=True)
        states = {
            "pending": waiting.filter(attempts=0),
            "retrying": waiting.filter(attempts__gt=0),
            "dead": queryset.filter(dead_at__isnull=False),
            "delivered": queryset.filter(processed_at__isnull=False),
        }
        return states.get(self.value() or "", queryset)


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "kind",
        "created_at",
        "processed_at",
        "attempts",
        "next_attempt_at",
        "dead_at",
    ]
    list_filter = [OutboxStateFilter, "kind"]
    search_fields = ["kind"]


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ["scope", "key", "status_code", "created_at"]
    search_fields = ["scope", "key"]
    exclude = ["response_body"]


@dataclass(frozen=True)
class LedgerCheck:
    """One group of invariants checked, with what it found and how much it looked at."""

    name: str
    violations: list[str]
    counts: list[tuple[int, str]]


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdmin):
    list_display = [
        "code",
        "kind",
        "owner",
        money_column("balance_cents", "Balance"),
        "may_go_negative",
        "created_at",
    ]
    list_filter = ["kind", "currency"]
    search_fields = ["code", "owner__email", "reference"]
    list_select_related = ["owner"]
    change_list_template = "admin/ledger/ledgeraccount/change_list.html"

    def get_urls(self) -> list[Any]:
        own = [
            path(
                "check/",
                self.admin_site.admin_view(self.check_view),
                name="ledger_check",
            ),
        ]
        return own + super().get_urls()

    def has_check_permission(self, request: HttpRequest) -> bool:
        """The ledger check is finance's (SPEC §15), and a superuser's."""
        return has_any_staff_role(request, (FINANCE_GROUP,))

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {"can_check_ledger": self.has_check_permission(request), **(extra_context or {})}
        return super().changelist_view(request, context)

    def check_view(self, request: HttpRequest) -> HttpResponse:
        """Runs every check `manage.py ledger_check` runs (the ledger's invariants, the
        Connects ledger's and the payment records') on demand, and shows what it found.
        Reading only: a broken invariant is reported, never repaired here."""
        if not self.has_check_permission(request):
            raise PermissionDenied
        checks = None
        if request.method == "POST":
            checks = [
                LedgerCheck(
                    "Ledger (SPEC §8.1)",
                    ledger_violations(),
                    [
                        (LedgerAccount.objects.count(), "accounts"),
                        (Transfer.objects.count(), "transfers"),
                        (Entry.objects.count(), "entries"),
                    ],
                ),
                LedgerCheck(
                    "Connects (SPEC §5)",
                    connects_violations(),
                    [
                        (ConnectsAccount.objects.count(), "accounts"),
                        (ConnectsMove.objects.count(), "moves"),
                        (ConnectsEntry.objects.count(), "entries"),
                    ],
                ),
                LedgerCheck(
                    "Payments (SPEC §8.2)",
                    payment_violations(),
                    [
                        (Relationship.objects.count(), "relationships"),
                        (Payment.objects.count(), "payments"),
                        (CardCharge.objects.count(), "card charges"),
                    ],
                ),
            ]
        context = {
            **self.admin_site.each_context(request),
            "title": "Ledger check",
            "opts": self.model._meta,
            "checks": checks,
            "ran_at": clock.now() if checks is not None else None,
            "violations": sum(len(check.violations) for check in checks or []),
        }
        return TemplateResponse(request, "admin/ledger/check.html", context)


class EntryInline(MoneyFieldsInline):
    model = Entry
    fields = ["account", "amount_cents", "balance_after_cents"]
    readonly_fields = ["account"]
    extra = 0
    can_delete = False

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
    list_display = [
        "id",
        "transfer",
        "account",
        money_column("amount_cents", "Amount"),
        money_column("balance_after_cents", "Balance after"),
    ]
    search_fields = ["account__code", "transfer__idempotency_key"]
    list_select_related = ["transfer", "account"]


@admin.register(LocationVerification)
class LocationVerificationAdmin(admin.ModelAdmin):
    """The verifier queue: requests waiting for review first, oldest first. A verifier reads
    the documents (served to staff only) and the user's sign-in hints, then approves or
    rejects with a reason; both go through the verification services."""

    list_display = ["user", "location", "status", "is_appeal", "submitted_at", "reviewed_at"]
    list_filter = ["status", ("appeal_of", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "user__first_name", "user__last_name", "city"]
    list_select_related = ["user"]
    fields = readonly_fields = (
        "user",
        "location",
        "status",
        "reason",
        "documents",
        "note",
        "appeal_of",
        "submitted_at",
        "reviewed_at",
        "reviewer",
        "sign_in_hints",
    )
    actions = ["approve", "reject"]
    change_form_template = "admin/web/locationverification_change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[LocationVerification]:
        # Annotated before ordering (the base class orders first), so that the queue can
        # put the requests waiting for review on top.
        waiting = Case(
            When(status=VerificationStatus.SUBMITTED, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
        return LocationVerification.objects.annotate(waiting=waiting).order_by(
            *self.get_ordering(request)
        )

    def get_ordering(self, request: HttpRequest) -> list[str]:
        return ["waiting", "submitted_at", "id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # decisions are actions; the record itself is never edited

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_review_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return (
            isinstance(user, User)
            and user.has_perm("accounts.change_locationverification")
            and is_verifier(user=user)
        )

    @admin.display(description="Location")
    def location(self, verification: LocationVerification) -> str:
        return f"{verification.city}, {verification.country.name}"

    @admin.display(description="Appeal", boolean=True)
    def is_appeal(self, verification: LocationVerification) -> bool:
        return verification.appeal_of_id is not None

    @admin.display(description="Documents")
    def documents(self, verification: LocationVerification) -> str:
        return format_html_join(
            "",
            '<p><a href="{}" target="_blank" rel="noopener">{}</a><br>{}</p>',
            (
                (file.url, label, _preview(file.url))
                for label, file in (
                    ("Identity document", verification.id_document),
                    ("Proof of address", verification.proof_of_address),
                )
            ),
        )

    @admin.display(description="Sign-in hints (recent)")
    def sign_in_hints(self, verification: LocationVerification) -> str:
        hints = sign_in_hints_of(user=verification.user)
        if not hints:
            return "No sign-ins recorded."
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    hint.signed_in_at.strftime("%Y-%m-%d %H:%M"),
                    hint.country or "unknown",
                    hint.ip_address or "",
                )
                for hint in hints
            ),
        )
        return format_html(
            "<p><strong>Hints only:</strong> where recent sign-ins came from. A network "
            "address is never proof of where someone lives.</p><table><thead><tr><th>When</th>"
            "<th>Country (by address)</th><th>Address</th></tr></thead><tbody>{}</tbody>"
            "</table>",
            rows,
        )

    def get_urls(self) -> list[Any]:
        own = [
            path(
                "<int:verification_id>/approve/",
                self.admin_site.admin_view(self.approve_view),
                name="accounts_locationverification_approve",
            ),
            path(
                "<int:verification_id>/reject/",
                self.admin_site.admin_view(self.reject_view),
                name="accounts_locationverification_reject",
            ),
        ]
        return own + super().get_urls()

    def _reviewer(self, request: HttpRequest) -> User:
        if not self.has_review_permission(request):
            raise PermissionDenied
        return _staff_user(request)

    def _waiting(self, request: HttpRequest, verification_id: int) -> LocationVerification:
        try:
            return verification_for_reviewer(
                reviewer=self._reviewer(request), verification_id=verification_id
            )
        except NotFound:
            raise Http404("No such verification waiting for review.") from None

    def _decide(
        self, request: HttpRequest, verifications: list[LocationVerification], reason: str = ""
    ) -> int:
        """Approve (no reason) or reject each; refusals are reported one by one."""
        reviewer, done = self._reviewer(request), 0
        for verification in verifications:
            try:
                if reason:
                    location_verification_reject(
                        verification=verification, reviewer=reviewer, reason=reason
                    )
                else:
                    location_verification_approve(verification=verification, reviewer=reviewer)
            except (DomainError, PermissionDenied) as error:
                self.message_user(request, f"{verification.user}: {error}", messages.ERROR)
            else:
                done += 1
        return done

    def approve_view(self, request: HttpRequest, verification_id: int) -> HttpResponse:
        verification = self._waiting(request, verification_id)
        if request.method == "POST":
            if self._decide(request, [verification]):
                self.message_user(
                    request,
                    f"Approved: {verification.user} lives in {self.location(verification)}.",
                    messages.SUCCESS,
                )
            return redirect("admin:accounts_locationverification_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": "Approve this location?",
            "opts": self.model._meta,
            "verification": verification,
            "location": self.location(verification),
        }
        return TemplateResponse(request, "admin/web/approve_verification.html", context)

    def reject_view(self, request: HttpRequest, verification_id: int) -> HttpResponse:
        verification = self._waiting(request, verification_id)
        form = ReasonForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            if self._decide(request, [verification], form.cleaned_data["reason"]):
                self.message_user(request, f"Rejected {verification.user}.", messages.SUCCESS)
            return redirect("admin:accounts_locationverification_changelist")
        return reason_page(
            request,
            self,
            title="Reject this verification",
            objects=[verification],
            form=form,
            action="",
            button="Reject",
        )

    @admin.action(description="Approve selected requests", permissions=["review"])
    def approve(self, request: HttpRequest, queryset: QuerySet[LocationVerification]) -> None:
        waiting = list(queryset.filter(status=VerificationStatus.SUBMITTED))
        done = self._decide(request, waiting)
        self.message_user(request, f"Approved {done} request(s).", messages.SUCCESS)

    @admin.action(description="Reject selected requests…", permissions=["review"])
    def reject(
        self, request: HttpRequest, queryset: QuerySet[LocationVerification]
    ) -> HttpResponse | None:
        waiting = list(queryset.filter(status=VerificationStatus.SUBMITTED))
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done = self._decide(request, waiting, form.cleaned_data["reason"])
            self.message_user(request, f"Rejected {done} request(s).", messages.SUCCESS)
            return None
        return reason_page(
            request,
            self,
            title="Reject the selected requests",
            objects=waiting,
            form=form,
            action="reject",
            button="Reject",
        )


def _preview(url: str) -> str:
    if url.lower().endswith(".pdf"):
        return "PDF document"
    return format_html(
        '<img src="{}" alt="" style="max-width:420px;max-height:320px;border:1px solid #ccc">',
        url,
    )


def _staff_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@admin.register(JobPost)
class JobPostAdmin(ReadOnlyAdmin):
    """Job moderation: staff look at posts and remove one for a terms violation, with a
    reason, through `job_remove` (which refunds the Connects spent on it)."""

    list_display = [
        "title",
        "client",
        "state",
        "visibility",
        "budget",
        "published_at",
        "proposals_count",
    ]
    list_filter = ["state", "visibility", "budget_type"]
    search_fields = ["title", "client__email"]
    list_select_related = ["client"]
    exclude = ["skills"]
    actions = ["remove"]

    @admin.display(description="Budget")
    def budget(self, job: JobPost) -> str | None:
        """A fixed price, or an hourly range ("$25.00 to $40.00 an hour")."""
        if job.budget_type == BudgetType.FIXED:
            return money_text(job.budget_cents)
        low, high = money_text(job.hourly_min_cents), money_text(job.hourly_max_cents)
        if low is None and high is None:
            return None
        return f"{' to '.join(a for a in (low, high) if a is not None)} an hour"

    def has_remove_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("jobs.change_jobpost")

    @admin.action(
        description="Remove selected posts for a terms violation…", permissions=["remove"]
    )
    def remove(self, request: HttpRequest, queryset: QuerySet[JobPost]) -> HttpResponse | None:
        posts = list(queryset.exclude(state=JobState.REMOVED))
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            removed = 0
            for job in posts:
                try:
                    job_remove(
                        job=job, staff=_staff_user(request), reason=form.cleaned_data["reason"]
                    )
                except DomainError as error:
                    self.message_user(request, f"{job}: {error.detail}", messages.ERROR)
                else:
                    removed += 1
            self.message_user(request, f"Removed {removed} post(s).", messages.SUCCESS)
            return None
        return reason_page(
            request,
            self,
            title="Remove the selected job posts",
            objects=posts,
            form=form,
            action="remove",
            button="Remove posts",
        )


# --- conversations: the mediators' -----------------------------------------------------


def _conversation_readers(request: HttpRequest) -> bool:
    return has_any_staff_role(request, (MEDIATOR_GROUP,))


def _disputed_contract_topics() -> QuerySet[Any, dict[str, Any]]:
    """The conversation topics ("contract:7") of every contract that has a dispute."""
    return (
        Dispute.objects.annotate(topic=Concat(Value("contract:"), Cast("contract_id", CharField())))
        .values("topic")
        .distinct()
    )


def conversations_for_staff(request: HttpRequest) -> QuerySet[Conversation]:
    """A superuser reads every conversation; a mediator, those of contracts under dispute (a
    dispute's case file, SPEC §9); anyone else, none."""
    user = request.user
    if not _conversation_readers(request):
        return Conversation.objects.none()
    if isinstance(user, User) and user.is_superuser:
        return Conversation.objects.all()
    return Conversation.objects.filter(topic__in=_disputed_contract_topics())


class MessageInline(StaffRoleInline):
    model = Message
    view_roles = (MEDIATOR_GROUP,)
    fields = ["created_at", "sender", "body", "attachments"]
    readonly_fields = ["attachments"]
    ordering = ["id"]

    @admin.display(description="Attachments")
    def attachments(self, message: Message) -> str:
        return ", ".join(attachment.name for attachment in message.attachments.all()) or "-"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Message]:
        return (
            super().get_queryset(request).select_related("sender").prefetch_related("attachments")
        )


@admin.register(Conversation)
class ConversationAdmin(StaffRoleAdmin):
    """The conversation of a contract under dispute, read in full (the dispute's page shows
    its latest messages), with who is in it."""

    view_roles = (MEDIATOR_GROUP,)
    list_display = ["title", "topic", "people", "message_count", "created_at", "last_message_at"]
    search_fields = ["title", "topic", "memberships__user__email"]
    date_hierarchy = "created_at"
    inlines = [MessageInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Conversation]:
        return (
            super()
            .get_queryset(request)
            .filter(pk__in=conversations_for_staff(request).values("pk"))
            .annotate(messages_sent=Count("messages"))
            .prefetch_related("memberships__user")
        )

    @admin.display(description="People")
    def people(self, conversation: Conversation) -> str:
        return ", ".join(member.user.email for member in conversation.memberships.all())

    @admin.display(description="Messages", ordering="messages_sent")
    def message_count(self, conversation: Conversation) -> int:
        return int(getattr(conversation, "messages_sent", 0))


@admin.register(Message)
class MessageAdmin(StaffRoleAdmin):
    view_roles = (MEDIATOR_GROUP,)
    list_display = ["id", "conversation", "sender", "excerpt", "created_at"]
    search_fields = ["body", "sender__email", "conversation__title", "conversation__topic"]
    list_select_related = ["conversation", "sender"]
    date_hierarchy = "created_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Message]:
        return (
            super().get_queryset(request).filter(conversation__in=conversations_for_staff(request))
        )

    @admin.display(description="Message")
    def excerpt(self, message: Message) -> str:
        return message.body if len(message.body) <= 80 else message.body[:79] + "…"
