from django.apps import AppConfig


class SmdpConfig(AppConfig):
    name = "roamwise.smdp"
    label = "smdp"
    verbose_name = "SM-DP+ simulator"
