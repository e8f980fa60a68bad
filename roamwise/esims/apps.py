from django.apps import AppConfig


class EsimsConfig(AppConfig):
    name = "roamwise.esims"
    verbose_name = "eSIMs"
