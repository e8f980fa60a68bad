from django.apps import AppConfig


class UsageConfig(AppConfig):
    name = "roamwise.usage"
    verbose_name = "Usage"

    def ready(self) -> None:
        # Registers the periodic alert and partition tasks.
        from . import tasks  # noqa: F401
