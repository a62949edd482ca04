from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "openlance.notifications"
    label = "notifications"
    verbose_name = "Notifications"
