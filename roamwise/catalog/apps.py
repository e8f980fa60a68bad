from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "roamwise.catalog"
    label = "catalog"
    verbose_name = "Catalogue"
