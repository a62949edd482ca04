from django.apps import AppConfig


class SavedConfig(AppConfig):
    name = "openlance.saved"
    label = "saved"
    verbose_name = "Saved jobs and freelancers"
