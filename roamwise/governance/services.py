"""The disclosure log: every call that sends personal data out writes one row."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from roamwise.datamap.vocabulary import CATEGORIES, PURPOSES, RECIPIENTS

from .models import Disclosure


def disclosure_record(
    *,
    subject_id: uuid.UUID,
    recipient: str,
    categories: Iterable[str],
    purpose: str,
    reference: str = "",
) -> Disclosure:
    categories = sorted(set(categories))
    if recipient not in RECIPIENTS:
        raise ValueError(f"unknown recipient {recipient!r}: add it to the data map first")
    unknown = [c for c in categories if c not in CATEGORIES]
    if unknown or purpose not in PURPOSES:
        raise ValueError(f"unknown category or purpose: {unknown or purpose}")
    return Disclosure.objects.create(
        subject_id=subject_id,
        recipient=recipient,
        categories=categories,
        purpose=purpose,
        reference=reference,
    )
