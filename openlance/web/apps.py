from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "openlance.web"
    label = "web"
    verbose_name = "Web"
