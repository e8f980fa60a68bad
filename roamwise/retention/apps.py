from django.apps import AppConfig


class RetentionConfig(AppConfig):
    name = "roamwise.retention"
    label = "retention"
    verbose_name = "Retention"

    def ready(self) -> None:
        # Registers the nightly sweep and the check of the data map's rules.
        from . import checks, tasks  # noqa: F401
