"""The residency router: EU customers' pinned rows go to the EU database (RET-08).

A Django router sees a model and, sometimes, hints. On a write through
``instance.save()`` or ``instance.delete()`` the hint is the row itself, so
the row's subject decides the database. ``QuerySet`` reads and
``objects.create()`` carry no row, so this router cannot route them: readers
of pinned models say ``.using(database_for_subject(...))`` themselves (ADR 0013
lists these limits). Without an EU database every answer is None, so routing is
exactly what it was before this router existed.
"""

from __future__ import annotations

from typing import Any


class ResidencyRouter:
    def _route(self, model: Any, hints: dict[str, Any]) -> str | None:
        from .residency import database_for_subject, eu_database_configured, is_pinned

        # From app label and model name: the database cache routes a stand-in
        # whose options have nothing more.
        label = f"{model._meta.app_label}.{model._meta.model_name}"
        if not eu_database_configured() or not is_pinned(label):
            return None
        instance = hints.get("instance")
        subject_id = getattr(instance, "subject_id", None) if isinstance(instance, model) else None
        if subject_id is None:
            return None
        return database_for_subject(subject_id)

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return self._route(model, hints)

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return self._route(model, hints)

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return None

    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool | None:
        from .residency import EU_ALIAS, is_pinned

        if db != EU_ALIAS:
            return None
        # The EU database holds the pinned tables and nothing else.
        return model_name is not None and is_pinned(f"{app_label}.{model_name}")
