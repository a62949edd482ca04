from django.urls import URLPattern, path

from openlance.reputation import views

urlpatterns: list[URLPattern] = [
    path("profile/job-success/", views.jss_page, name="jss_explanation"),
]
