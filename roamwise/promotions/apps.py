from django.apps import AppConfig


class PromotionsConfig(AppConfig):
    name = "roamwise.promotions"
    label = "promotions"
    verbose_name = "Promotions"
