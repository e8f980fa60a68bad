from django.apps import AppConfig


class EsimsConfig(AppConfig):
    name = "roamwise.esims"
    verbose_name = "eSIMs"

    def ready(self) -> None:
        # Registers the fulfilment of "esim" and "topup" orders with the orders app.
        from . import tasks  # noqa: F401
