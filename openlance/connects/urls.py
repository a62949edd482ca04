from django.urls import URLPattern, URLResolver, include, path

from openlance.connects import views

# Home, buying and Plus go through the payment gateway, so their views live in billing (a
# higher layer); the URLconf names that module by string rather than importing it.
urlpatterns: list[URLPattern | URLResolver] = [
    path("history/", views.connects_history, name="connects_history"),
    path("", include("openlance.billing.connects_views")),
]
