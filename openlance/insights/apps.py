from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "openlance.insights"
    label = "insights"
    verbose_name = "Insights"
