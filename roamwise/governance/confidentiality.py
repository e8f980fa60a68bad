"""What the customer may not be shown yet: the traces of a legal request whose
order forbids telling them (no tipping off), until the date it sets.

A confidential request leaves traces in five places: the request itself, the
row naming the customer in it, the disclosure log (recipient "authority"),
the legal holds it placed, and the staff access written when the data was
packaged for the authority. Each filter below takes the customer's rows of
one of them and returns those the customer may see now. The data map names
them (``Declaration.shown_to_subject``), so that the privacy center, the
export and the erasure report leave the same rows out; staff, retention and
erasure still see every row. Once the date passes, everything shows, with no
job to run: the filters compare with the time of the read.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from .models import LegalRequest

AUTHORITY = "authority"  # the disclosure log's recipient for legal requests
LEGAL_REQUEST_HOLD = "legal_request"  # retention.LegalHold.Kind.LEGAL_REQUEST


def confidential_requests(*, now: datetime | None = None) -> QuerySet[LegalRequest]:
    return LegalRequest.objects.filter(confidential_until__gt=now or timezone.now())


def _references(now: datetime | None) -> list[str]:
    return [r.reference for r in confidential_requests(now=now).only("public_id")]


def legal_requests_shown(rows: QuerySet, *, now: datetime | None = None) -> QuerySet:
    return rows.exclude(confidential_until__gt=now or timezone.now())


def legal_request_subjects_shown(rows: QuerySet, *, now: datetime | None = None) -> QuerySet:
    return rows.exclude(request__confidential_until__gt=now or timezone.now())


def disclosures_shown(rows: QuerySet, *, now: datetime | None = None) -> QuerySet:
    references = _references(now)
    if not references:
        return rows
    return rows.exclude(recipient=AUTHORITY, reference__in=references)


def holds_shown(rows: QuerySet, *, now: datetime | None = None) -> QuerySet:
    references = _references(now)
    if not references:
        return rows
    return rows.exclude(kind=LEGAL_REQUEST_HOLD, reference__in=references)


def accesses_shown(rows: QuerySet, *, now: datetime | None = None) -> QuerySet:
    ids = [str(pk) for pk in confidential_requests(now=now).values_list("pk", flat=True)]
    if not ids:
        return rows
    return rows.exclude(object_type=LegalRequest._meta.label, object_id__in=ids)
