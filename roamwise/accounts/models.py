from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from roamwise.core.models import TimeStampedModel
from roamwise.vault.fields import BlindIndexField, EncryptedDateField, EncryptedTextField


class User(AbstractUser):
    """A customer or a member of staff.

    ``public_id`` is what a customer sees in URLs and the API; the integer
    primary key never leaves the server.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    first_name = EncryptedTextField("first name", subject="self", row_key="public_id", blank=True)
    last_name = EncryptedTextField("last name", subject="self", row_key="public_id", blank=True)
    # The language chosen in the switcher, else the one of the first sign-in:
    # pages after sign-in and every email to this customer are in it (ADR 0026).
    # A code of settings.LANGUAGES (services.user_language_set checks it), not
    # choices: a language added later needs no migration.
    language = models.CharField(_("language"), max_length=8, blank=True, default="")

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        permissions = [("view_contact_details", "Can see customers' contact details unmasked")]

    def is_locked(self) -> bool:
        """The account cannot be used: closed, deactivated, or a minor's account
        still waiting for a parent's consent (CHD-02)."""
        if not self.is_active:
            return True
        return (
            User.objects.filter(pk=self.pk)
            .filter(
                Q(closure__isnull=False)
                | Q(parental_consent__status=ParentalConsent.Status.PENDING)
            )
            .exists()
        )


class Profile(TimeStampedModel):
    """What sign-up collects beyond allauth's user and email rows."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    phone = EncryptedTextField(
        subject="user", row_key="user_id", help_text="E.164, for example +447911123456"
    )
    phone_index = BlindIndexField(source="phone")
    date_of_birth = EncryptedDateField(subject="user", row_key="user_id")

    def __str__(self) -> str:
        return f"profile of user {self.user_id}"


class ParentalConsent(TimeStampedModel):
    """A 13-17 year old's account stays locked until a parent grants consent (CHD-02).

    The link sent to the parent carries a random token; only its SHA-256 is
    stored, so a database reader cannot grant consent.
    """

    class Status(models.TextChoices):
        PENDING = "pending", gettext_lazy("Waiting for the parent")
        GRANTED = "granted", gettext_lazy("Granted")

    child = models.OneToOneField(User, on_delete=models.CASCADE, related_name="parental_consent")
    parent_email = EncryptedTextField(subject="child", row_key="child_id")
    token_hash = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    expires_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "granted"]),
                name="parental_consent_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="pending", decided_at__isnull=True)
                | Q(status="granted", decided_at__isnull=False),
                name="parental_consent_decided_when_granted",
            ),
        ]

    def __str__(self) -> str:
        return f"parental consent for user {self.child_id}: {self.status}"


class AccountClosure(TimeStampedModel):
    """A closed account: it stopped working at ``closed_at`` and its personal
    data is due for deletion at ``delete_after`` (ACC-05, RET-01)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="closure")
    closed_at = models.DateTimeField()
    delete_after = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(delete_after__gt=models.F("closed_at")),
                name="account_closure_deletes_after_closing",
            )
        ]

    def __str__(self) -> str:
        return f"closure of user {self.user_id}"


class LoginEvent(models.Model):
    """A successful sign-in, kept as a security log and shown to the customer
    (AUT-01): when, the country of the address (never the address itself), and
    the browser family, operating system and kind of device."""

    class Device(models.TextChoices):
        DESKTOP = "desktop", gettext_lazy("Computer")
        MOBILE = "mobile", gettext_lazy("Phone")
        TABLET = "tablet", gettext_lazy("Tablet")
        OTHER = "other", gettext_lazy("Other")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="login_events")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    browser_family = models.CharField(max_length=64)
    os_family = models.CharField(max_length=64)
    device_type = models.CharField(max_length=8, choices=Device.choices)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 alpha-2, or empty")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="login_event_user_time")]

    def __str__(self) -> str:
        return f"sign-in of user {self.user_id} at {self.created_at:%Y-%m-%d %H:%M}"


class StaffEmailChange(models.Model):
    """A change of a customer's sign-in email asked for by staff (ACC-04).

    The new address is added unverified (allauth's ``EmailAddress``) and
    becomes the sign-in address only once its owner confirms the emailed
    link; until then the verified address stays, and a password reset never
    goes to the new one. It references the address; it copies none of it.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="staff_email_changes")
    email_address = models.OneToOneField(
        "account.EmailAddress", on_delete=models.CASCADE, related_name="staff_change"
    )
    requested_by_id = models.BigIntegerField(help_text="The staff user's id.")
    requested_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        state = "confirmed" if self.confirmed_at else "waiting for its owner"
        return f"email change of user {self.user_id} ({state})"
