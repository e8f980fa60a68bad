from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "roamwise.core"
    label = "core"
    verbose_name = "Core"
