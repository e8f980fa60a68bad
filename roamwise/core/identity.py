"""The seller's identity and the shop's branding, read in one place.

Settings give the defaults (``SITE_NAME``, ``SELLER_*``, ``SUPPORT_*``); the
one ``ShopIdentity`` row, edited in the back office, overrides each of them
that it fills in. Invoices, receipts, the terms and company pages, emails and
every page's template (``core.context_processors.site``) read the result
through ``shop_identity()``.

Every page shows it, so each worker process keeps it for ``HOLD_SECONDS``
rather than asking the database on every request: a change shows at once in
the process that saved it and within that time in the others.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from .models import ShopIdentity

HOLD_SECONDS = 30

# Accepted images, by their first bytes (not their name): type, signatures, largest size.
LOGO_TYPES = {"image/png": (b"\x89PNG\r\n\x1a\n",), "image/jpeg": (b"\xff\xd8\xff",)}
FAVICON_TYPES = {**LOGO_TYPES, "image/x-icon": (b"\x00\x00\x01\x00",)}
LOGO_MAX_BYTES = 200 * 1024
FAVICON_MAX_BYTES = 50 * 1024


@dataclass(frozen=True)
class Identity:
    shop_name: str
    legal_name: str
    address: str
    registration: str
    vat_number: str
    support_phone: str
    support_hours: str
    primary_colour: str
    logo_url: str
    favicon_url: str
    theme_url: str
    banner: str


_held: tuple[float, Identity] | None = None


def image_type(content: bytes, accepted: dict[str, tuple[bytes, ...]]) -> str | None:
    """The type of an image by its first bytes, if it is one of ``accepted``."""
    for content_type, signatures in accepted.items():
        if content.startswith(signatures):
            return content_type
    return None


def shop_identity() -> Identity:
    global _held
    now = time.monotonic()
    if _held is not None and now - _held[0] < HOLD_SECONDS:
        return _held[1]
    row = ShopIdentity.objects.defer("logo", "favicon").filter(pk=1).first()
    identity = _merge(row)
    _held = (now, identity)
    return identity


def forget_shop_identity() -> None:
    """Read the row again at the next call (after a change, and between tests)."""
    global _held
    _held = None


def _merge(row: ShopIdentity | None) -> Identity:
    def pick(name: str, default: str) -> str:
        value = getattr(row, name, "") if row is not None else ""
        return value or default

    version = f"?v={int(row.updated_at.timestamp())}" if row is not None else ""
    return Identity(
        shop_name=pick("shop_name", settings.SITE_NAME),
        legal_name=pick("legal_name", settings.SELLER_LEGAL_NAME),
        address=pick("address", settings.SELLER_ADDRESS),
        registration=pick("registration", settings.SELLER_REGISTRATION),
        vat_number=pick("vat_number", settings.SELLER_VAT_NUMBER),
        support_phone=pick("support_phone", settings.SUPPORT_PHONE),
        support_hours=pick("support_hours", settings.SUPPORT_HOURS),
        primary_colour=pick("primary_colour", ""),
        logo_url=reverse("shop_logo") + version if row is not None and row.logo_type else "",
        favicon_url=(
            reverse("shop_favicon") + version if row is not None and row.favicon_type else ""
        ),
        theme_url=reverse("shop_theme") + version if row is not None and row.primary_colour else "",
        banner=pick("banner", ""),
    )
