from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "roamwise.consent"
    label = "consent"
    verbose_name = "Consent"
