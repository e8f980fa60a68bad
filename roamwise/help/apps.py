from django.apps import AppConfig


class HelpConfig(AppConfig):
    name = "roamwise.help"
    label = "help"
    verbose_name = "Help centre"
