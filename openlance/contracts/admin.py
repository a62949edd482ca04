"""Operator console: contracts, their offers, milestones, hourly invoices and refunds, to
look at, never to edit (they change only through the contracts services, which the parties'
own pages call; a mediator acts on a dispute's own page).

Who sees what (SPEC §1, §15): support reads them all, to answer users; mediators read the
contracts, offers, milestones and invoices that disputes are about; finance reads the money
side (contracts, milestones, invoices, refunds and refund requests). No one else does."""

from __future__ import annotations

from django.contrib import admin

from openlance.accounts.admin import (
    FINANCE_GROUP,
    SUPPORT_GROUP,
    StaffRoleAdmin,
    StaffRoleInline,
)
from openlance.accounts.selectors import MEDIATOR_GROUP
from openlance.contracts.models import (
    Contract,
    HourlyInvoice,
    Milestone,
    Offer,
    OfferMilestone,
    Refund,
    RefundRequest,
)
from openlance.core.console import money_column

CONTRACT_READERS = (SUPPORT_GROUP, MEDIATOR_GROUP, FINANCE_GROUP)
OFFER_READERS = (SUPPORT_GROUP, MEDIATOR_GROUP)
REFUND_READERS = (SUPPORT_GROUP, FINANCE_GROUP)


class OfferMilestoneInline(StaffRoleInline):
    model = OfferMilestone
    view_roles = OFFER_READERS
    fields = ["position", "description", "amount_cents", "due_date"]


@admin.register(Offer)
class OfferAdmin(StaffRoleAdmin):
    view_roles = OFFER_READERS
    list_display = [
        "id",
        "title",
        "client",
        "freelancer",
        "kind",
        "state",
        money_column("hourly_rate_cents", "Hourly rate"),
        "sent_at",
        "expires_at",
    ]
    list_filter = ["state", "kind"]
    search_fields = ["title", "client__email", "freelancer__email", "job__title"]
    list_select_related = ["client", "freelancer"]
    date_hierarchy = "sent_at"
    inlines = [OfferMilestoneInline]


class MilestoneInline(StaffRoleInline):
    model = Milestone
    view_roles = CONTRACT_READERS
    fields = [
        "position",
        "description",
        "state",
        "amount_cents",
        "funded_cents",
        "released_cents",
        "refunded_cents",
        "due_date",
    ]


@admin.register(Contract)
class ContractAdmin(StaffRoleAdmin):
    view_roles = CONTRACT_READERS
    list_display = [
        "id",
        "title",
        "client",
        "freelancer",
        "kind",
        "state",
        money_column("hourly_rate_cents", "Hourly rate"),
        "started_at",
        "ended_at",
        "dispute_decision",
    ]
    list_filter = ["state", "kind", "dispute_decision"]
    search_fields = ["title", "client__email", "freelancer__email"]
    list_select_related = ["client", "freelancer"]
    date_hierarchy = "started_at"
    exclude = ["hourly_card"]  # the client's card token: no one's business here
    inlines = [MilestoneInline]


@admin.register(Milestone)
class MilestoneAdmin(StaffRoleAdmin):
    view_roles = CONTRACT_READERS
    list_display = [
        "id",
        "description",
        "contract",
        "state",
        money_column("amount_cents", "Amount"),
        money_column("funded_cents", "Funded"),
        money_column("released_cents", "Released"),
        money_column("refunded_cents", "Refunded"),
        "due_date",
        "auto_approve_at",
    ]
    list_filter = ["state"]
    search_fields = [
        "description",
        "contract__title",
        "contract__client__email",
        "contract__freelancer__email",
    ]
    list_select_related = ["contract"]


@admin.register(HourlyInvoice)
class HourlyInvoiceAdmin(StaffRoleAdmin):
    view_roles = CONTRACT_READERS
    list_display = [
        "id",
        "contract",
        "week_start",
        "state",
        "hours_billed",
        money_column("hourly_rate_cents", "Rate"),
        money_column("amount_cents", "Amount"),
        money_column("marketplace_fee_cents", "Client fee"),
        "review_ends_at",
        "paid_at",
    ]
    list_filter = ["state"]
    search_fields = ["contract__title", "contract__client__email", "contract__freelancer__email"]
    list_select_related = ["contract"]
    date_hierarchy = "week_start"

    @admin.display(description="Hours billed", ordering="seconds_billed")
    def hours_billed(self, invoice: HourlyInvoice) -> str:
        return f"{invoice.seconds_billed / 3600:.2f}"


@admin.register(Refund)
class RefundAdmin(StaffRoleAdmin):
    view_roles = REFUND_READERS
    list_display = [
        "id",
        "contract",
        money_column("amount_cents", "Amount"),
        "reason",
        "created_at",
    ]
    search_fields = ["contract__title", "key", "reason"]
    list_select_related = ["contract"]
    date_hierarchy = "created_at"


@admin.register(RefundRequest)
class RefundRequestAdmin(StaffRoleAdmin):
    view_roles = REFUND_READERS
    list_display = [
        "id",
        "contract",
        money_column("amount_cents", "Amount"),
        "state",
        "created_at",
        "answer_by",
        "answered_at",
    ]
    list_filter = ["state"]
    search_fields = ["contract__title", "reason"]
    list_select_related = ["contract"]
    date_hierarchy = "created_at"
