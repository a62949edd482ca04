from django.contrib import admin
from django.urls import include, path

from openlance.accounts import views as account_views
from openlance.api.urls import api
from openlance.billing import views as billing_views
from openlance.web import views as web_views

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

urlpatterns = [
    path("", web_views.home, name="home"),
    path("policies/", web_views.policies, name="policies"),
    path("fees/", billing_views.fee_calculator, name="fees"),
    path("wallet/", billing_views.wallet, name="wallet"),
    path("wallet/deposit/", billing_views.wallet_deposit, name="wallet_deposit"),
    path("account/", include(account_patterns)),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/", api.urls),
]
