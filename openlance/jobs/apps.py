from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "openlance.jobs"
    label = "jobs"
    verbose_name = "Job posts"
