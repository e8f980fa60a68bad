from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "roamwise.orders"
    label = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system check)
