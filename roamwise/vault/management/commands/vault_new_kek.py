from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from roamwise.vault.keyring import add_kek


class Command(BaseCommand):
    help = "Add a new key-encryption key to the keyring and make it active; then run vault_rotate."

    def handle(self, *args: Any, **options: Any) -> None:
        version = add_kek()
        self.stdout.write(self.style.SUCCESS(f"key-encryption key version {version} is now active"))
