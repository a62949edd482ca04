from django.contrib import admin
from django.urls import include, path

from openlance.api.urls import api
from openlance.web import views as web_views

urlpatterns = [
    path("", web_views.home, name="home"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/", api.urls),
]
