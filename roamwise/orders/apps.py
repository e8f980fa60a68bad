from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "roamwise.orders"
    label = "orders"
    verbose_name = "Orders"
