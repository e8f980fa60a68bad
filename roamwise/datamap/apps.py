from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class DatamapConfig(AppConfig):
    name = "roamwise.datamap"
    label = "datamap"
    verbose_name = "Data map"

    def ready(self) -> None:
        # Each app declares its personal data in <app>/privacy.py, found the
        # same way Django finds admin.py.
        autodiscover_modules("privacy")
        from . import checks  # noqa: F401  (registers the system check)
