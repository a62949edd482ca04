"""Operator console: proposals, with their milestones and screening answers, to look at,
never to edit (they change only through the proposals services the freelancer and client
call). Support reads them, to answer users (a proposal's Connects, its state); no other
staff role's work needs them (a mediator reads the contract the proposal led to)."""

from __future__ import annotations

from django.contrib import admin

from openlance.accounts.admin import SUPPORT_GROUP, StaffRoleAdmin, StaffRoleInline
from openlance.core.console import money_column
from openlance.proposals.models import Proposal, ProposalAnswer, ProposalMilestone

PROPOSAL_READERS = (SUPPORT_GROUP,)


class ProposalMilestoneInline(StaffRoleInline):
    model = ProposalMilestone
    view_roles = PROPOSAL_READERS
    fields = ["position", "description", "amount_cents", "due_on"]


class ProposalAnswerInline(StaffRoleInline):
    model = ProposalAnswer
    view_roles = PROPOSAL_READERS
    fields = ["position", "question", "answer"]


@admin.register(Proposal)
class ProposalAdmin(StaffRoleAdmin):
    view_roles = PROPOSAL_READERS
    list_display = [
        "id",
        "job",
        "freelancer",
        "state",
        "bid_type",
        money_column("bid_cents", "Bid"),
        money_column("hourly_rate_cents", "Hourly rate"),
        "connects_cost",
        "created_at",
    ]
    list_filter = ["state", "bid_type", "shortlisted", "archived"]
    search_fields = ["job__title", "freelancer__email", "freelancer__last_name"]
    list_select_related = ["job", "freelancer"]
    date_hierarchy = "created_at"
    inlines = [ProposalMilestoneInline, ProposalAnswerInline]
