from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "openlance.jobs"
    label = "jobs"
    verbose_name = "Job posts"

    def ready(self) -> None:
        from openlance.jobs import handlers  # noqa: F401  (registers outbox handlers)
