from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "roamwise.reports"
    verbose_name = "Reports"
