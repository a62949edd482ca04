from django.apps import AppConfig


class ProfilesConfig(AppConfig):
    name = "openlance.profiles"
    label = "profiles"
    verbose_name = "Profiles"

    def ready(self) -> None:
        from openlance.profiles import handlers  # noqa: F401  (registers outbox handlers)
