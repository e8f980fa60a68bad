from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "roamwise.payments"
    label = "payments"
    verbose_name = "Payments"
