from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "roamwise.notifications"
    label = "notifications"
    verbose_name = "Notifications"
