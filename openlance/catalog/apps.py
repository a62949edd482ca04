from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "openlance.catalog"
    label = "catalog"
    verbose_name = "Catalog: categories and skills"
