"""Operator console: freelancer and client profiles, to look at, never to edit (they change
only through the profiles services their owners call; the computed figures are recorded by
the features that compute them).

Support reads them, to answer users; verifiers, to set a location request beside what the
person says about themselves; mediators, to know the two sides of a dispute."""

from __future__ import annotations

from django.contrib import admin

from openlance.accounts.admin import SUPPORT_GROUP, StaffRoleAdmin, StaffRoleInline
from openlance.accounts.selectors import MEDIATOR_GROUP, VERIFIER_GROUP
from openlance.core.console import money_column
from openlance.profiles.models import ClientProfile, Freelancer, Profile

PROFILE_READERS = (SUPPORT_GROUP, VERIFIER_GROUP, MEDIATOR_GROUP)


class ProfileInline(StaffRoleInline):
    """The freelancer's general and specialized profiles."""

    model = Profile
    view_roles = PROFILE_READERS
    fields = ["title", "is_general", "visibility", "hourly_rate_cents", "updated_at"]


@admin.register(Freelancer)
class FreelancerAdmin(StaffRoleAdmin):
    view_roles = PROFILE_READERS
    list_display = [
        "user",
        "country",
        "city",
        "visibility",
        "jss_percent",
        money_column("total_earned_cents", "Total earned"),
        "total_jobs",
        "created_at",
    ]
    list_filter = ["visibility", "availability", "english_level"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "city"]
    list_select_related = ["user"]
    # Shown, never a form field (a form's URL field would be built only to be displayed).
    readonly_fields = ["intro_video_url"]
    inlines = [ProfileInline]


@admin.register(ClientProfile)
class ClientProfileAdmin(StaffRoleAdmin):
    view_roles = PROFILE_READERS
    list_display = [
        "user",
        "company_name",
        "country",
        "city",
        "payment_method_verified",
        money_column("total_spent_cents", "Total spent"),
        "created_at",
    ]
    list_filter = ["payment_method_verified"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "company_name"]
    list_select_related = ["user"]
    readonly_fields = ["website"]
