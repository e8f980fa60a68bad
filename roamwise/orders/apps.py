from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "roamwise.orders"
    label = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        from . import checks, metrics  # noqa: F401  (the system check, the gauges)
