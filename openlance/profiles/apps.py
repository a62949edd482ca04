from django.apps import AppConfig


class ProfilesConfig(AppConfig):
    name = "openlance.profiles"
    label = "profiles"
    verbose_name = "Profiles"
