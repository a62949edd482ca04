from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "openlance.billing"
    label = "billing"
    verbose_name = "Billing"
