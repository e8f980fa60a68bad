from __future__ import annotations

import argparse
from typing import Any

from allauth.mfa.models import Authenticator
from django.core.management.base import BaseCommand
from django.db import transaction

from roamwise.vault import services
from roamwise.vault.keyring import get_keyring


def positive_int(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


class Command(BaseCommand):
    help = (
        "Re-wrap every data key (and every TOTP seed) under the newest key-encryption key, "
        "in chunks. Rows holding personal data are not touched."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--chunk-size", type=positive_int, default=500)
        parser.add_argument("--dry-run", action="store_true", help="Count, change nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = options["dry_run"]
        version = get_keyring().active_version
        verb = "would re-wrap" if dry_run else "re-wrapped"
        done = 0
        for progress in services.rotate_keys(chunk_size=options["chunk_size"], dry_run=dry_run):
            done = progress.rewrapped
            self.stdout.write(f"{verb} {progress.rewrapped} data keys, {progress.remaining} to go")
        secrets = self._reseal_system_secrets(version, dry_run)
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {done} data keys and {secrets} second-factor secrets under key version "
                f"{version}"
            )
        )

    def _reseal_system_secrets(self, version: int, dry_run: bool) -> int:
        count = 0
        prefix = f"sys1.{version}."
        for authenticator in Authenticator.objects.order_by("pk").iterator():
            data = dict(authenticator.data)
            changed = False
            for name in ("secret", "seed"):
                token = data.get(name)
                if (
                    isinstance(token, str)
                    and services.is_system_secret(token)
                    and not token.startswith(prefix)
                ):
                    data[name] = services.seal_system_secret(
                        services.open_system_secret(token, "mfa"), "mfa"
                    )
                    changed = True
            if changed:
                count += 1
                if not dry_run:
                    with transaction.atomic():
                        Authenticator.objects.filter(pk=authenticator.pk).update(data=data)
        return count
