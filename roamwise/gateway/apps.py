from django.apps import AppConfig


class GatewayConfig(AppConfig):
    name = "roamwise.gateway"
    label = "gateway"
    verbose_name = "Simulated payment gateway"
