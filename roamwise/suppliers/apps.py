from django.apps import AppConfig


class SuppliersConfig(AppConfig):
    name = "roamwise.suppliers"
    label = "suppliers"
    verbose_name = "eSIM suppliers"

    def ready(self) -> None:
        from django.core import checks

        from roamwise.suppliers.checks import supplier_registry_check

        checks.register(supplier_registry_check)
