from django.urls import URLPattern, path

from openlance.reviews import views

# Mounted under /contracts/ beside the contract room's own patterns.
urlpatterns: list[URLPattern] = [
    path("<int:contract_id>/feedback/", views.contract_feedback, name="contract_feedback"),
    path(
        "<int:contract_id>/feedback/card/",
        views.contract_feedback_card,
        name="contract_feedback_card",
    ),
]
