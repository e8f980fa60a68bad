from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
# Loosely: a country prefix of two letters, then 2 to 13 letters, digits or
# "+" and "*" (every EU and UK VAT number has this shape); spaces and dots allowed.
VAT_NUMBER = re.compile(r"^[A-Z]{2}[0-9A-Z+*]{2,13}$")
PHONE = re.compile(r"^\+?[0-9 ()\-]{6,30}$")


def validate_hex_colour(value: str) -> None:
    if value and not HEX_COLOUR.match(value):
        raise ValidationError(_("Give a colour as # and six hex digits, such as #0b5cad."))


def validate_vat_number(value: str) -> None:
    compact = re.sub(r"[\s.\-]", "", value).upper()
    if value and not VAT_NUMBER.match(compact):
        raise ValidationError(
            _("A VAT number starts with its two-letter country code, such as GB123456789.")
        )


def validate_phone(value: str) -> None:
    if value and not PHONE.match(value):
        raise ValidationError(_("Give a phone number in digits, such as +44 20 7946 0100."))


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class TransitionEvent(models.Model):
    """One move of a row's state, written in the transaction that made it
    (roamwise.core.states). The subclass adds the foreign key to its row,
    named by ``related_name="events"``, and its ``actor``: a string ("customer",
    "staff:<id>", "smdp") where machines act, a user where only staff do."""

    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["created_at", "pk"]


class ShopIdentity(models.Model):
    """Who sells, and how the shop looks: one row, edited in the back office.

    Every field left empty falls back to its setting (``SELLER_LEGAL_NAME``,
    ``SUPPORT_PHONE``, ``SITE_NAME``...); read it only through
    ``roamwise.core.identity.shop_identity()``.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    shop_name = models.CharField(
        _("shop name"), max_length=80, blank=True, help_text=_("As customers see it in emails.")
    )
    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    address = models.TextField(_("registered address"), max_length=500, blank=True)
    registration = models.CharField(
        _("registration"),
        max_length=200,
        blank=True,
        help_text=_("For example: Registered in England and Wales, company number 01234567."),
    )
    vat_number = models.CharField(
        _("VAT number"), max_length=20, blank=True, validators=[validate_vat_number]
    )
    support_phone = models.CharField(
        _("support phone"), max_length=30, blank=True, validators=[validate_phone]
    )
    support_hours = models.CharField(_("support hours"), max_length=120, blank=True)
    primary_colour = models.CharField(
        _("primary colour"),
        max_length=7,
        blank=True,
        validators=[validate_hex_colour],
        help_text=_("A hex colour such as #0b5cad, for the header and buttons."),
    )
    logo = models.BinaryField(_("logo"), blank=True, null=True, editable=False)
    logo_type = models.CharField(max_length=20, blank=True, editable=False)
    favicon = models.BinaryField(_("favicon"), blank=True, null=True, editable=False)
    favicon_type = models.CharField(max_length=20, blank=True, editable=False)
    banner = models.CharField(
        _("home-page banner"),
        max_length=200,
        blank=True,
        help_text=_("An optional line shown at the top of the home page."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("shop identity and branding")
        verbose_name_plural = _("shop identity and branding")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="shop_identity_single_row")
        ]

    def __str__(self) -> str:
        return str(_("Shop identity and branding"))
