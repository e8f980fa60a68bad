from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "roamwise.analytics"
    label = "analytics"
    verbose_name = "Analytics"
