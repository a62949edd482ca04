from django.urls import URLPattern, URLResolver, path

from openlance.connects import views

# Home, buying and Plus go through the payment gateway, so their views live in billing
# (`openlance.billing.connects_views`, included at the same prefix by the root URLconf).
urlpatterns: list[URLPattern | URLResolver] = [
    path("history/", views.connects_history, name="connects_history"),
]
