from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "roamwise.support"
    label = "support"
    verbose_name = "Support"
