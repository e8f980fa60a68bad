from django.apps import AppConfig


class RightsConfig(AppConfig):
    name = "roamwise.rights"
    label = "rights"
    verbose_name = "Data-subject rights"
