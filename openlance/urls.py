from django.contrib import admin
from django.urls import include, path

from openlance.accounts import views as account_views
from openlance.api.urls import api
from openlance.billing import views as billing_views
from openlance.jobs import views as job_views
from openlance.profiles import views as profile_views
from openlance.reviews import views as review_views
from openlance.web import views as web_views
from openlance.web.media import media

handler400 = "openlance.api.errors.bad_request"
handler404 = "openlance.web.views.page_not_found"
handler500 = "openlance.web.views.server_error"

account_patterns = [
    path("", account_views.account, name="account"),
    path("name/", account_views.account_name, name="account_name"),
    path("roles/", account_views.account_roles, name="account_roles"),
    path("role/", account_views.role_switch, name="role_switch"),
    path("tokens/", account_views.tokens, name="tokens"),
    path("tokens/new/", account_views.token_create, name="token_create"),
    path("tokens/<int:token_id>/revoke/", account_views.token_revoke, name="token_revoke"),
]

profile_patterns = [
    path("edit/", profile_views.profile_edit, name="profile_edit"),
    path("edit/photo/", profile_views.profile_photo, name="profile_photo"),
    path("edit/settings/", profile_views.profile_settings, name="profile_settings"),
    path("edit/make-public/", profile_views.profile_make_public, name="profile_make_public"),
    path("edit/general/", profile_views.profile_general, name="profile_general"),
    path("edit/specialized/new/", profile_views.specialized_new, name="specialized_new"),
    path(
        "edit/specialized/<int:profile_id>/",
        profile_views.specialized_edit,
        name="specialized_edit",
    ),
    path(
        "edit/specialized/<int:profile_id>/delete/",
        profile_views.specialized_delete,
        name="specialized_delete",
    ),
    path("edit/portfolio/new/", profile_views.portfolio_new, name="portfolio_new"),
    path("edit/portfolio/<int:item_id>/", profile_views.portfolio_edit, name="portfolio_edit"),
    path(
        "edit/portfolio/<int:item_id>/delete/",
        profile_views.portfolio_delete,
        name="portfolio_delete",
    ),
    path("edit/<str:kind>/add/", profile_views.history_add, name="history_add"),
    path(
        "edit/<str:kind>/<int:item_id>/delete/",
        profile_views.history_delete,
        name="history_delete",
    ),
    path("rank/", profile_views.profile_rank, name="profile_rank"),
    path("verification/", account_views.verification, name="verification"),
    path("verification/submit/", account_views.verification_submit, name="verification_submit"),
    path(
        "verification/<int:verification_id>/appeal/",
        account_views.verification_appeal,
        name="verification_appeal",
    ),
]

job_patterns = [
    path("new/", job_views.job_new, name="job_new"),
    path("mine/", job_views.my_jobs, name="my_jobs"),
    path("<int:job_id>/", web_views.job_detail, name="job_detail"),
    path("<int:job_id>/edit/", job_views.job_edit, name="job_edit"),
    path("<int:job_id>/publish/", job_views.job_publish, name="job_publish"),
    path("<int:job_id>/close/", job_views.job_close, name="job_close"),
    path(
        "<int:job_id>/attachments/<int:attachment_id>/delete/",
        job_views.job_attachment_delete,
        name="job_attachment_delete",
    ),
]

urlpatterns = [
    # First: Django tries the patterns in order, and the API's requests are the most frequent;
    # last, resolving a search request cost 75 µs. Nothing else starts with "api/".
    path("api/", api.urls),
    path("", web_views.home, name="home"),
    path("policies/", web_views.policies, name="policies"),
    path("fees/", billing_views.fee_calculator, name="fees"),
    path("wallet/", billing_views.wallet, name="wallet"),
    path("wallet/deposit/", billing_views.wallet_deposit, name="wallet_deposit"),
    path("wallet/", include("openlance.billing.urls")),
    path("account/", include(account_patterns)),
    path("profile/", include(profile_patterns)),
    path("freelancers/<int:user_id>/", profile_views.freelancer_detail, name="freelancer_detail"),
    path(
        "freelancers/<int:user_id>/reviews/",
        review_views.freelancer_reviews,
        name="freelancer_reviews",
    ),
    path("client/profile/edit/", profile_views.client_profile_edit, name="client_profile_edit"),
    path("clients/<int:user_id>/", web_views.client_detail, name="client_detail"),
    path("jobs/", include(job_patterns)),
    path("search/freelancers/", profile_views.search_freelancers, name="search_freelancers"),
    path("search/jobs/", job_views.search_jobs, name="search_jobs"),
    path("connects/", include("openlance.billing.connects_views")),
    path("connects/", include("openlance.connects.urls")),
    path("proposals/", include("openlance.proposals.urls")),
    path("messages/", include("openlance.messaging.urls")),
    path("insights/", include("openlance.insights.urls")),
    path("contracts/", include("openlance.contracts.urls")),
    path("contracts/", include("openlance.reviews.urls")),
    path("contracts/", include("openlance.contracts.hourly.urls")),
    path("disputes/", include("openlance.disputes.urls")),
    path("saved/", include("openlance.saved.urls")),
    path("notifications/", include("openlance.notifications.urls")),
    path("", include("openlance.reputation.urls")),
    # Uploads go through a view with per-folder rules, in production as in development.
    path("media/<path:name>", media, name="media"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
]
