from django.apps import AppConfig


class RightsConfig(AppConfig):
    name = "roamwise.rights"
    label = "rights"
    verbose_name = "Data-subject rights"

    def ready(self) -> None:
        from . import metrics  # noqa: F401  (registers its gauges, core/metrics.py)
