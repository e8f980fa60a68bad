from django.apps import AppConfig


class EsimsConfig(AppConfig):
    name = "roamwise.esims"
    verbose_name = "eSIMs"

    def ready(self) -> None:
        from . import metrics  # noqa: F401  (registers its gauges, core/metrics.py)
