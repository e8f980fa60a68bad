from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "roamwise.accounts"
    label = "accounts"
    verbose_name = "Accounts"
