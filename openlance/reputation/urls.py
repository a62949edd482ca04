from django.urls import URLPattern, path

from openlance.reputation import views

urlpatterns: list[URLPattern] = [
    path("profile/job-success/", views.jss_page, name="jss_explanation"),
    path("profile/badges/", views.badges_page, name="badges_mine"),
    path("badges/", views.badge_criteria_page, name="badge_criteria"),
]
