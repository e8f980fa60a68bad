from __future__ import annotations

from typing import Any

VAULT_APP = "vault"
VAULT_DB = "vault"


class VaultRouter:
    """Data keys go to the key store; everything else stays off it."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return VAULT_DB if model._meta.app_label == VAULT_APP else None

    db_for_write = db_for_read

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        if app_label == VAULT_APP:
            return db == VAULT_DB
        return db != VAULT_DB
