from django.urls import URLPattern, path

from openlance.notifications import views

urlpatterns: list[URLPattern] = [
    path("", views.notification_list, name="notifications"),
    path("read-all/", views.notifications_read_all, name="notifications_read_all"),
    path("preferences/", views.notification_preferences, name="notification_preferences"),
    path(
        "unsubscribe/<str:token>/",
        views.notifications_unsubscribe,
        name="notifications_unsubscribe",
    ),
    path("<int:notification_id>/", views.notification_open, name="notification_open"),
    path("<int:notification_id>/read/", views.notification_read, name="notification_read"),
]
