from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "roamwise.devices"
    verbose_name = "Device compatibility"
