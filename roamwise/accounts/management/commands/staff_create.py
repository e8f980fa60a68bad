"""Make a staff account that can open the back office straight away.

``createsuperuser`` makes an account the back office refuses: its email is not
verified (ADR 0002) and it has no second factor. This command does both: the
address is recorded as verified, a TOTP authenticator is created, and its
secret is printed once (as text, an ``otpauth://`` URI and a terminal QR code)
for an authenticator app. The staff member then signs in at /admin/ with the
password and a code from the app.
"""

from __future__ import annotations

import getpass
import io
import secrets
import sys
from typing import Any

import segno
from allauth.account.models import EmailAddress
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.db import transaction

from roamwise.accounts.models import User
from roamwise.audit.roles import ROLE_PERMISSIONS, ensure_roles


class Command(BaseCommand):
    help = "Create a staff account with a verified email and TOTP, ready for the back office."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--username", help="Defaults to the part of the email before @.")
        parser.add_argument(
            "--role",
            action="append",
            choices=sorted(ROLE_PERMISSIONS),
            default=[],
            help="A staff role (repeat for several).",
        )
        parser.add_argument(
            "--superuser", action="store_true", help="Every permission, whatever the roles."
        )
        parser.add_argument(
            "--no-qr", action="store_true", help="Do not draw the QR code in the terminal."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        email = options["email"].strip()
        try:
            validate_email(email)
        except ValidationError as exc:
            raise CommandError(f"Not an email address: {email}") from exc
        if not options["role"] and not options["superuser"]:
            raise CommandError("Give at least one --role, or --superuser.")
        username = options["username"] or email.split("@", 1)[0]
        if User.objects.filter(username=username).exists():
            raise CommandError(f"The username {username} is taken; choose one with --username.")
        if EmailAddress.objects.filter(email__iexact=email).exists():
            raise CommandError(f"An account already uses {email}.")
        password, generated = self._password()
        secret = generate_totp_secret()
        ensure_roles()
        with transaction.atomic():
            user = User(username=username, email=email, is_staff=True)
            user.is_superuser = options["superuser"]
            user.set_password(password)
            user.save()
            EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
            user.groups.set(Group.objects.filter(name__in=options["role"]))
            TOTP.activate(user, secret)
        url = get_mfa_adapter().build_totp_url(user, secret)
        self.stdout.write(f"Staff account {username} created; email {email} marked verified.")
        if generated:
            self.stdout.write(f"Password (shown once): {password}")
        self.stdout.write(f"TOTP secret (add it to an authenticator app): {secret}")
        self.stdout.write(f"TOTP URI: {url}")
        if not options["no_qr"]:
            drawing = io.StringIO()
            segno.make(url, error="m").terminal(out=drawing, compact=True)
            self.stdout.write(drawing.getvalue(), ending="")
        self.stdout.write("Sign in at /admin/ with the password and a code from the app.")

    def _password(self) -> tuple[str, bool]:
        """Asked for on a terminal; otherwise a strong one is made and printed."""
        if sys.stdin.isatty():
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords differ.")
            try:
                validate_password(password)
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
            return password, False
        return secrets.token_urlsafe(18), True
