from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "roamwise.governance"
    label = "governance"
    verbose_name = "Governance"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the processors registry check)
