"""Writing consent: every choice is a new record; nothing is edited (RGT-05)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from . import selectors
from .errors import InvalidConsent
from .models import (
    GPC_PURPOSES,
    OPTIONAL_PURPOSES,
    ConsentRecord,
    Objection,
    ObjectionRecord,
    Purpose,
    Source,
)

VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _subject(user: Any, visitor_id: str | None) -> tuple[Any, str]:
    customer = user if user is not None and getattr(user, "is_authenticated", False) else None
    if customer is not None:
        # A customer's record names the customer only: the browser's visitor id
        # is not linked to the account.
        return customer, ""
    if not visitor_id or not VISITOR_ID.match(visitor_id):
        raise InvalidConsent(gettext("A consent choice needs a customer or a visitor id."))
    return None, visitor_id


def consent_record(
    *,
    purpose: str,
    granted: bool,
    source: str,
    user: Any = None,
    visitor_id: str | None = None,
) -> ConsentRecord:
    """Record one grant or withdrawal, under the policy version in force.

    No location is kept with it (AUT-03): the policy version is what proves
    the terms the choice was made under, and the country of an IP address
    may only be kept with consent to location."""
    if purpose == Purpose.ESSENTIAL:
        raise InvalidConsent(
            gettext("Essential processing needs no consent and cannot be refused.")
        )
    if purpose not in OPTIONAL_PURPOSES:
        raise InvalidConsent(gettext("Unknown purpose %(purpose)r.") % {"purpose": purpose})
    if source not in Source.values:
        raise InvalidConsent(gettext("Unknown source %(source)r.") % {"source": source})
    customer, visitor = _subject(user, visitor_id)
    return ConsentRecord.objects.create(
        user=customer,
        visitor_id=visitor,
        purpose=purpose,
        granted=bool(granted),
        source=source,
        policy_version=selectors.current_policy_version(),
    )


def consent_choices_save(
    *,
    choices: Mapping[str, bool],
    source: str,
    user: Any = None,
    visitor_id: str | None = None,
) -> list[ConsentRecord]:
    """Record a set of choices (the banner, the settings page): a record for each
    purpose whose state changes, or that was last chosen under another policy."""
    unknown = set(choices) - set(OPTIONAL_PURPOSES)
    if unknown:
        raise InvalidConsent(
            gettext("Unknown purpose %(sorted)r.") % {"sorted": sorted(unknown)[0]}
        )
    customer, visitor = _subject(user, visitor_id)
    version = selectors.current_policy_version()
    latest = selectors.latest_records(user=customer, visitor_id=visitor or None)
    written = []
    with transaction.atomic():
        for purpose in OPTIONAL_PURPOSES:
            if purpose not in choices:
                continue
            granted = bool(choices[purpose])
            previous = latest.get(purpose)
            if (
                previous is not None
                and previous.granted == granted
                and previous.policy_version == version
            ):
                continue
            written.append(
                consent_record(
                    purpose=purpose,
                    granted=granted,
                    source=source,
                    user=customer,
                    visitor_id=visitor or None,
                )
            )
    return written


def consent_apply_gpc(*, user: Any = None, visitor_id: str | None = None) -> list[ConsentRecord]:
    """Global Privacy Control: an opt-out of marketing, partner sharing and
    personalisation, recorded once per purpose with source GPC (CKE-03)."""
    customer, visitor = _subject(user, visitor_id)
    if customer is not None:
        already = ConsentRecord.objects.filter(user=customer, source=Source.GPC)
    else:
        already = ConsentRecord.objects.filter(visitor_id=visitor, source=Source.GPC)
    done = set(already.values_list("purpose", flat=True))
    written = []
    with transaction.atomic():
        for purpose in GPC_PURPOSES:
            if purpose in done:
                continue
            written.append(
                consent_record(
                    purpose=purpose,
                    granted=False,
                    source=Source.GPC,
                    user=customer,
                    visitor_id=visitor or None,
                )
            )
    return written


def objection_set(*, user: Any, scope: str, active: bool) -> ObjectionRecord | None:
    """Object to (or restrict) processing, or lift it (RGT-06). Takes effect at
    once: every ``has_consent`` call reads it. Returns None when nothing changes."""
    if scope not in Objection.values:
        raise InvalidConsent(gettext("Unknown objection %(scope)r.") % {"scope": scope})
    if user is None or not getattr(user, "is_authenticated", False):
        raise InvalidConsent(gettext("Objections are made from a customer's account."))
    if selectors.objections_of(user=user)[scope] == bool(active):
        return None
    return ObjectionRecord.objects.create(user=user, scope=scope, active=bool(active))
