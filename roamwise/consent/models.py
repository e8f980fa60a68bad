"""Consent and objection records: append-only, the current state is the latest row.

A choice is never edited: each grant, withdrawal or objection is a new row, so
the history of what a person agreed to, when, under which policy version and
through which channel is kept (RGT-05: withdrawal stops future processing only).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy


class Purpose(models.TextChoices):
    """Why data is processed. Essential processing needs no consent (CKE-01)."""

    ESSENTIAL = "essential", gettext_lazy("Essential")
    ANALYTICS = "analytics", gettext_lazy("Analytics")
    PREFERENCES = "preferences", gettext_lazy("Preferences")
    MARKETING = "marketing", gettext_lazy("Marketing")
    LOCATION = "location", gettext_lazy("Approximate location")
    PERSONALISATION = "personalisation", gettext_lazy("Personalised recommendations")
    PARTNER_SHARING = "partner_sharing", gettext_lazy("Sharing with partners for joint marketing")


# Purposes a person can grant or withdraw; essential is always on.
OPTIONAL_PURPOSES: tuple[str, ...] = tuple(p.value for p in Purpose if p != Purpose.ESSENTIAL)

# Global Privacy Control opts out of these (CKE-03): selling or sharing, and
# targeting, in the sense the GPC specification and the CCPA give it.
GPC_PURPOSES: tuple[str, ...] = (
    Purpose.MARKETING.value,
    Purpose.PARTNER_SHARING.value,
    Purpose.PERSONALISATION.value,
)


class Source(models.TextChoices):
    BANNER = "banner", gettext_lazy("Cookie banner")
    SETTINGS = "settings", gettext_lazy("Privacy settings")
    API = "api", gettext_lazy("API")
    GPC = "gpc", gettext_lazy("Global Privacy Control")
    UNSUBSCRIBE = "unsubscribe", gettext_lazy("Unsubscribe link")
    SIGNUP = "signup", gettext_lazy("Sign-up")


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: object) -> int:
        raise ValueError("consent records are append-only")


class ConsentRecord(models.Model):
    """One grant or withdrawal of consent to one purpose, by a customer or by
    an anonymous visitor (identified only by a random id in a cookie)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="consent_records",
    )
    visitor_id = models.CharField(max_length=64, blank=True, db_index=True)
    purpose = models.CharField(max_length=32, choices=Purpose.choices)
    granted = models.BooleanField()
    source = models.CharField(max_length=16, choices=Source.choices)
    policy_version = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "purpose", "-id"], name="consent_user_purpose"),
            models.Index(fields=["visitor_id", "purpose", "-id"], name="consent_visitor_purpose"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(visitor_id=""),
                name="consent_record_has_subject",
            ),
            models.CheckConstraint(
                condition=Q(purpose__in=[p.value for p in Purpose]),
                name="consent_record_purpose_valid",
            ),
            models.CheckConstraint(
                condition=Q(source__in=[s.value for s in Source]),
                name="consent_record_source_valid",
            ),
        ]

    def __str__(self) -> str:
        verb = "granted" if self.granted else "withdrew"
        return f"{self.created_at:%Y-%m-%d %H:%M} {verb} {self.purpose} ({self.source})"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise ValueError("consent records are append-only")
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class Objection(models.TextChoices):
    """What a customer may object to (RGT-06), and restriction of all optional processing."""

    ANALYTICS = "analytics", gettext_lazy("Analytics")
    PERSONALISATION = (
        "personalisation",
        gettext_lazy("Personalisation and location-based recommendations"),
    )
    MARKETING = "marketing", gettext_lazy("Marketing and partner sharing")
    RESTRICTION = "restriction", gettext_lazy("Restrict all optional processing")


# The purposes each objection stops. Restriction stops every optional purpose.
OBJECTION_COVERS: dict[str, tuple[str, ...]] = {
    Objection.ANALYTICS.value: (Purpose.ANALYTICS.value,),
    Objection.PERSONALISATION.value: (Purpose.PERSONALISATION.value, Purpose.LOCATION.value),
    Objection.MARKETING.value: (Purpose.MARKETING.value, Purpose.PARTNER_SHARING.value),
    Objection.RESTRICTION.value: OPTIONAL_PURPOSES,
}


class ObjectionRecord(models.Model):
    """A customer objecting to, or restricting, processing; or lifting that."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="objection_records"
    )
    scope = models.CharField(max_length=16, choices=Objection.choices)
    active = models.BooleanField(help_text="True: objecting; False: objection lifted.")
    created_at = models.DateTimeField(default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "scope", "-id"], name="objection_user_scope")]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope__in=[o.value for o in Objection]),
                name="objection_record_scope_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.scope}: {'on' if self.active else 'off'}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise ValueError("objection records are append-only")
        super().save(*args, **kwargs)  # type: ignore[arg-type]
