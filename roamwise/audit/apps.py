from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AuditConfig(AppConfig):
    name = "roamwise.audit"
    label = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        from .roles import ensure_roles

        # Groups need the permissions Django creates after migrating; this is
        # the documented place to add them (not domain flow).
        post_migrate.connect(ensure_roles, sender=self)
