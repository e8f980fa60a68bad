from __future__ import annotations

from typing import Any

VAULT_APP = "vault"
VAULT_DB = "vault"
PRIMARY_DB = "default"
# Models of the vault app with a table in the primary database too.
BOTH_DATABASES = frozenset({"tombstone"})


class VaultRouter:
    """Data keys go to the key store; everything else stays off it.

    Tombstones are read and written with an explicit ``using`` (both copies);
    without one they go to the key store like the rest of the vault app.
    """

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return VAULT_DB if model._meta.app_label == VAULT_APP else None

    db_for_write = db_for_read

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return None

    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool:
        if app_label == VAULT_APP:
            # The list of erased subjects has a table in both databases: each
            # copy survives a restore of the other (ADR 0010).
            return db == VAULT_DB or model_name in BOTH_DATABASES
        return db != VAULT_DB
