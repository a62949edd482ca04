from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "openlance.search"
    label = "search"
    verbose_name = "Search"
