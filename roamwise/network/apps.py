from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "roamwise.network"
    verbose_name = "Network partner simulator"
