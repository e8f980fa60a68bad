"""Every cookie and browser storage item the site sets, declared once (POL-04).

The cookie policy page is generated from ``BROWSER_STORAGE``; a browser test
walks the site and fails on any cookie or storage key not declared here, and a
unit test reads the site's scripts for storage keys. Names and lifetimes come
from the settings and constants that set them, so they cannot drift.

The policy is versioned: ``COOKIE_POLICY_VERSIONS`` records each version with
the fingerprint of the declarations it describes, and a test fails when the
declarations change without a new version.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Literal

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .middleware import COOKIE_MAX_AGE
from .middleware import COOKIE_NAME as CONSENT_COOKIE_NAME
from .models import Purpose

Kind = Literal["cookie", "localStorage", "sessionStorage"]

KIND_LABELS: dict[str, Promise] = {
    "cookie": _("Cookie"),
    "localStorage": _("Local storage"),
    "sessionStorage": _("Session storage"),
}


@dataclass(frozen=True)
class StoredItem:
    name: str
    kind: Kind
    category: Purpose
    purpose: Promise
    # Seconds; None: until the browser is closed (or, for localStorage, until removed).
    max_age: int | None
    httponly: bool = False

    @property
    def lifetime(self) -> str:
        return lifetime_text(self.max_age, self.kind)


def lifetime_text(max_age: int | None, kind: str) -> str:
    if max_age is None:
        if kind == "localStorage":
            return str(_("Until you clear it"))
        return str(_("Until you close the browser"))
    days = max_age // 86400
    if days >= 60:
        months = round(days / 30.44)
        return ngettext("%(n)d month", "%(n)d months", months) % {"n": months}
    return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}


def browser_storage() -> tuple[StoredItem, ...]:
    """The declarations, read when asked: names and lifetimes follow the settings."""
    return (
        StoredItem(
            name=settings.SESSION_COOKIE_NAME,
            kind="cookie",
            category=Purpose.ESSENTIAL,
            purpose=_(
                "Keeps you signed in and carries a visitor's basket and sign-in steps from "
                "page to page."
            ),
            max_age=None
            if settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
            else settings.SESSION_COOKIE_AGE,
            httponly=settings.SESSION_COOKIE_HTTPONLY,
        ),
        StoredItem(
            name=settings.CSRF_COOKIE_NAME,
            kind="cookie",
            category=Purpose.ESSENTIAL,
            purpose=_("Protects the site's forms against cross-site request forgery."),
            max_age=settings.CSRF_COOKIE_AGE,
            httponly=settings.CSRF_COOKIE_HTTPONLY,
        ),
        StoredItem(
            name=CONSENT_COOKIE_NAME,
            kind="cookie",
            category=Purpose.ESSENTIAL,
            purpose=_(
                "A random id that remembers your cookie choices, set only once you make one; "
                "then the banner asks again."
            ),
            max_age=COOKIE_MAX_AGE,
            httponly=True,
        ),
        StoredItem(
            name=CookieStorage.cookie_name,
            kind="cookie",
            category=Purpose.ESSENTIAL,
            purpose=_(
                'Carries a confirmation message ("Your choices are saved") to the next page, '
                "then is removed."
            ),
            max_age=None,
            httponly=True,
        ),
        StoredItem(
            name=settings.LANGUAGE_COOKIE_NAME,
            kind="cookie",
            category=Purpose.ESSENTIAL,
            purpose=_(
                "Remembers the language you chose in the language menu; set only when you "
                "choose one."
            ),
            max_age=settings.LANGUAGE_COOKIE_AGE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        ),
    )


def declared_names() -> dict[str, set[str]]:
    """The declared names by kind: what the browser test allows."""
    names: dict[str, set[str]] = {kind: set() for kind in KIND_LABELS}
    for item in browser_storage():
        names[item.kind].add(item.name)
    return names


def storage_fingerprint() -> str:
    """What a version of the cookie policy describes: names, kinds, categories, lifetimes."""
    described = sorted(
        (item.name, item.kind, item.category.value, item.max_age) for item in browser_storage()
    )
    return hashlib.sha256(json.dumps(described).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class CookiePolicyVersion:
    version: str
    effective_on: date
    summary: Promise
    fingerprint: str


# Oldest first. A change to the declarations above needs a new entry here with
# the new fingerprint (``storage_fingerprint()``); the test says so.
COOKIE_POLICY_VERSIONS: tuple[CookiePolicyVersion, ...] = (
    CookiePolicyVersion(
        version="2026-12",
        effective_on=date(2026, 12, 7),
        summary=_(
            "First cookie policy: every cookie and browser storage item the site sets, with "
            "its purpose, lifetime and category."
        ),
        fingerprint="d972ded156a0dc76",
    ),
    CookiePolicyVersion(
        version="2026-12-b",
        effective_on=date(2026, 12, 7),
        summary=_(
            "A cookie that remembers the language you choose in the language menu, set only "
            "when you choose one."
        ),
        fingerprint="26231f5525e7e305",
    ),
)


def cookie_policy_in_force() -> CookiePolicyVersion:
    return COOKIE_POLICY_VERSIONS[-1]
