"""The disclosure log: every call that sends personal data out writes one row (SHR-03)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from roamwise.datamap.vocabulary import CATEGORIES, PURPOSES

from .models import Disclosure
from .processors import is_registered


def disclosure_record(
    *,
    subject_id: uuid.UUID,
    recipient: str,
    categories: Iterable[str],
    purpose: str,
    reference: str = "",
) -> Disclosure:
    categories = sorted(set(categories))
    # SHR-01: data goes only to registered processors and partners.
    if not is_registered(recipient):
        raise ValueError(
            f"unknown recipient {recipient!r}: add it to the processors registry first"
        )
    unknown = [c for c in categories if c not in CATEGORIES]
    if unknown or purpose not in PURPOSES:
        raise ValueError(f"unknown category or purpose: {unknown or purpose}")
    disclosure = Disclosure(
        subject_id=subject_id,
        recipient=recipient,
        categories=categories,
        purpose=purpose,
        reference=reference,
    )
    # Saved as an instance, so that the residency router sees its subject (RET-08).
    disclosure.save(force_insert=True)
    return disclosure
