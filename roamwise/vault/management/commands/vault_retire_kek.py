from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from django.core.management.base import BaseCommand, CommandError

from roamwise.vault.keyring import retire_kek
from roamwise.vault.models import DataKey


class Command(BaseCommand):
    help = "Remove an old key-encryption key from the keyring once nothing uses it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("version", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        version = options["version"]
        keys = DataKey.objects.filter(kek_version=version).count()
        prefix = f"sys1.{version}."
        secrets = sum(
            1
            for a in Authenticator.objects.iterator()
            if any(str(a.data.get(n, "")).startswith(prefix) for n in ("secret", "seed"))
        )
        if keys or secrets:
            raise CommandError(
                f"{keys} data keys and {secrets} second-factor secrets still wrap under "
                f"version {version}; run vault_rotate first"
            )
        try:
            retire_kek(version)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"key-encryption key version {version} retired"))
