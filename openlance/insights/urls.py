from django.urls import URLPattern, path

from openlance.insights import views

urlpatterns: list[URLPattern] = [
    path("gig-math/", views.gig_math_page, name="gig_math"),
    path("gig-math/result/", views.gig_math_partial, name="gig_math_partial"),
]
