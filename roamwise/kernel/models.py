"""The kernel's tables. They belong to the ``governance`` app (its app label,
its migrations); only their Python home is here, below the apps that use
them. ``roamwise.governance.models`` names them too."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy

from roamwise.datamap.vocabulary import RECIPIENTS

APP_LABEL = "governance"


class Disclosure(models.Model):
    """One sending of a customer's data to a third party, at category level (SHR-03).

    Says who received what kind of data, why and when; never the data itself.
    """

    subject_id = models.UUIDField(db_index=True, help_text="The customer's public id.")
    recipient = models.CharField(max_length=32, help_text="A recipient of the data map.")
    categories = models.JSONField(default=list)
    purpose = models.CharField(max_length=32)
    reference = models.CharField(max_length=100, blank=True, help_text="e.g. an order id")
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = APP_LABEL
        ordering = ["-occurred_at"]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d} to {self.recipient}: {', '.join(self.categories)}"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: object) -> int:
        raise ValueError("policy acceptances are append-only")


class PolicyDocument(models.TextChoices):
    """The versioned texts a customer is held to: the privacy policy, the terms of sale."""

    PRIVACY = "privacy", gettext_lazy("Privacy policy")
    TERMS = "terms", gettext_lazy("Terms of sale")


class PolicyVersion(models.Model):
    """One text of the privacy policy (POL-01) or of the terms of sale.

    A draft has no ``published_at``; once published its text never changes:
    a correction is a new version. The version of a document in force at a
    moment is its published one with the latest ``effective_at`` not after it.
    """

    document = models.CharField(
        max_length=16, choices=PolicyDocument.choices, default=PolicyDocument.PRIVACY
    )
    version = models.CharField(max_length=32, help_text="A label, e.g. 2026-03.")
    body = models.TextField(help_text="Markdown. Raw HTML is shown as text, never rendered.")
    summary_of_changes = models.TextField(blank=True)
    significant = models.BooleanField(
        default=False,
        help_text="A significant change: every customer is told by email and in the site "
        "before it takes effect (POL-02).",
    )
    effective_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True, help_text="Empty: a draft.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = APP_LABEL
        ordering = ["-effective_at", "-id"]
        permissions = [("publish_policyversion", "Can publish a privacy policy version")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(published_at__isnull=True)
                | models.Q(published_at__lte=models.F("effective_at")),
                name="policy_version_published_before_effective",
            ),
            models.UniqueConstraint(
                fields=["document", "effective_at"],
                condition=models.Q(published_at__isnull=False),
                name="policy_version_one_per_effective_time",
            ),
            models.UniqueConstraint(
                fields=["document", "version"], name="policy_version_label_once"
            ),
            models.CheckConstraint(
                condition=models.Q(document__in=["privacy", "terms"]),
                name="policy_version_document_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_document_display().lower()} {self.version}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class Region(models.TextChoices):
    EU = "eu", gettext_lazy("the European Union")
    UK = "uk", gettext_lazy("the United Kingdom")
    US = "us", gettext_lazy("the United States")


class DataResidency(models.Model):
    """The region a customer's data is kept in, where it differs from the
    deployment's own (RET-08): the key the residency router reads."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_residency"
    )
    region = models.CharField(max_length=8, choices=Region.choices)
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = APP_LABEL
        verbose_name_plural = "data residencies"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(region__in=[r.value for r in Region]),
                name="data_residency_region_valid",
            )
        ]

    def __str__(self) -> str:
        return f"user {self.user_id} in {self.region}"


class PartnerVetting(models.Model):
    """A recipient's screening and confidentiality agreement, on record (SHR-07).

    Personal data goes to a processor or partner only once it was screened and
    bound to confidentiality (``disclosures.disclosure_record`` refuses it
    before); its own privacy policy is linked from the recipients list.
    Changed in the back office, where the admin history says who and when."""

    recipient = models.CharField(
        max_length=32,
        unique=True,
        choices=list(RECIPIENTS.items()),
        help_text=gettext_lazy("The recipient of the data map this record is about."),
    )
    privacy_policy_url = models.URLField(
        help_text=gettext_lazy("The recipient's own privacy policy, linked from ours.")
    )
    screened_on = models.DateField(
        help_text=gettext_lazy("When its security and privacy practices were last reviewed.")
    )
    confidentiality_signed_on = models.DateField(
        help_text=gettext_lazy(
            "When its confidentiality agreement (or processing contract) was signed."
        )
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = APP_LABEL
        ordering = ["recipient"]
        verbose_name = gettext_lazy("partner vetting")
        verbose_name_plural = gettext_lazy("partner vetting")

    def __str__(self) -> str:
        return str(self.recipient)

    def clean(self) -> None:
        today = timezone.localdate()
        for name in ("screened_on", "confidentiality_signed_on"):
            value = getattr(self, name)
            if value is not None and value > today:
                raise ValidationError(
                    {name: gettext_lazy("A date on record cannot be in the future.")}
                )
