from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "roamwise.governance"
    label = "governance"
    verbose_name = "Governance"
