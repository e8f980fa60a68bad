"""Legal requests (SHR-05): log each court order or authority request, assess it,
then disclose the minimum or refuse.

received -> assessed -> disclosed | refused. Disclosing records, in one
transaction, the categories and the subjects (by public id) disclosed, one
disclosure-log row per subject (recipient "authority"), and optionally legal
holds on the records holding those categories, so that retention and erasure
keep what the authority may still need. The data itself never enters these
tables; ``legal_request_package`` assembles it for the authority, limited to
the disclosed categories, and writes the staff access to the audit log.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from roamwise.accounts.models import User
from roamwise.audit.models import AccessEvent
from roamwise.audit.services import Access, access_record_many
from roamwise.core import states
from roamwise.core.errors import DomainError
from roamwise.datamap.registry import data_map
from roamwise.datamap.selectors import personal_data_of
from roamwise.datamap.vocabulary import CATEGORIES
from roamwise.kernel.disclosures import disclosure_record
from roamwise.retention.models import LegalHold
from roamwise.retention.services import legal_hold_place

from .models import (
    LegalRequest,
    LegalRequestEvent,
    LegalRequestStatus,
    LegalRequestSubject,
)

DISCLOSURE_PURPOSE = "legal"
# A request logged with a receipt time this far ahead is a typo, not a request.
CLOCK_SKEW = timedelta(minutes=5)


class InvalidLegalRequest(DomainError):
    code = "invalid_legal_request"


def in_categories(category: str, chosen: Iterable[str]) -> bool:
    """Is a field's category one of ``chosen``, or below one of them?"""
    return any(category == c or category.startswith(c + ".") for c in chosen)


def categories_check(categories: Iterable[str]) -> list[str]:
    chosen = sorted(set(categories))
    if not chosen:
        raise InvalidLegalRequest(gettext("Choose at least one category of data."))
    unknown = [c for c in chosen if c not in CATEGORIES]
    if unknown:
        raise InvalidLegalRequest(
            gettext("Unknown data categories: %(join)s.") % {"join": ", ".join(unknown)}
        )
    return chosen


def models_holding(categories: Iterable[str]) -> list[str]:
    """The data-map models with a field in one of ``categories``."""
    chosen = list(categories)
    return [d.model for d in data_map if any(in_categories(f.category, chosen) for f in d.fields)]


def _text(value: str, label: str, *, limit: int = 10_000) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidLegalRequest(gettext("%(label)s is required.") % {"label": label})
    if len(value) > limit:
        raise InvalidLegalRequest(
            gettext("%(label)s is at most %(limit)s characters.") % {"label": label, "limit": limit}
        )
    return value


def _event(request: LegalRequest, actor: User | None, old: str, new: str, note: str) -> None:
    LegalRequestEvent.objects.create(
        request=request, actor=actor, from_status=old, to_status=new, note=note[:300]
    )


def _transition(
    request: LegalRequest, *, to_status: str, actor: User, note: str, changes: dict[str, Any]
) -> None:
    """Move the request on (roamwise.core.states.move); call inside a transaction."""
    states.move(request, to_status, actor=actor, note=note, **changes)


def _confidentiality_check(
    until: datetime | None, basis: str, *, now: datetime
) -> tuple[datetime | None, str]:
    """A bar on telling the customer needs an end in the future and its legal basis."""
    if until is None:
        return None, ""
    if until <= now:
        raise InvalidLegalRequest(
            gettext("The date until which the customer is not told must be ahead.")
        )
    return until, _text(basis, "The order or law that forbids telling the customer")


def legal_request_create(
    *,
    kind: str,
    authority: str,
    received_at: datetime,
    legal_basis_cited: str,
    scope: str,
    actor: User,
    authority_reference: str = "",
    confidential_until: datetime | None = None,
    confidentiality_basis: str = "",
    now: datetime | None = None,
) -> LegalRequest:
    now = now or timezone.now()
    if kind not in LegalRequest.Kind.values:
        raise InvalidLegalRequest(gettext("Choose the kind of request."))
    if received_at > now + CLOCK_SKEW:
        raise InvalidLegalRequest(gettext("The request cannot have been received in the future."))
    until, basis = _confidentiality_check(confidential_until, confidentiality_basis, now=now)
    with transaction.atomic():
        request = LegalRequest.objects.create(
            kind=kind,
            authority=_text(authority, "The authority", limit=200),
            authority_reference=(authority_reference or "").strip()[:100],
            received_at=received_at,
            legal_basis_cited=_text(legal_basis_cited, "The legal basis cited"),
            scope=_text(scope, "The scope of the request"),
            confidential_until=until,
            confidentiality_basis=basis,
        )
        note = "logged" + (f"; customer not told until {until:%Y-%m-%d %H:%M}" if until else "")
        _event(request, actor, "", LegalRequestStatus.RECEIVED, note)
    return request


def legal_request_confidentiality_set(
    *,
    request: LegalRequest,
    actor: User,
    until: datetime | None,
    basis: str = "",
    now: datetime | None = None,
) -> LegalRequest:
    """Extend, shorten or lift the bar on telling the customer (the authority
    extends its order, or a court lifts it). ``until`` None lifts it now."""
    now = now or timezone.now()
    until, basis = _confidentiality_check(until, basis, now=now)
    with transaction.atomic():
        LegalRequest.objects.filter(pk=request.pk).update(
            confidential_until=until, confidentiality_basis=basis, updated_at=now
        )
        note = "bar on telling lifted"
        if until:
            note = f"customer not told until {until:%Y-%m-%d %H:%M}"
        _event(request, actor, request.status, request.status, note)
    request.refresh_from_db()
    return request


def legal_request_assess(
    *,
    request: LegalRequest,
    actor: User,
    is_valid: bool,
    is_proportionate: bool,
    is_challenged: bool,
    assessment: str,
    now: datetime | None = None,
) -> LegalRequest:
    """Record whether the request is valid and proportionate, and if we challenged it."""
    text = _text(assessment, "The assessment")
    verdict = "valid" if is_valid else "not valid"
    verdict += ", proportionate" if is_proportionate else ", not proportionate"
    if is_challenged:
        verdict += ", challenged"
    with transaction.atomic():
        _transition(
            request,
            to_status=LegalRequestStatus.ASSESSED,
            actor=actor,
            note=verdict,
            changes={
                "is_valid": is_valid,
                "is_proportionate": is_proportionate,
                "is_challenged": is_challenged,
                "assessment": text,
                "assessed_at": now or timezone.now(),
                "assessed_by": actor,
            },
        )
    request.refresh_from_db()
    return request


def _subjects_check(subject_ids: Iterable[uuid.UUID | str]) -> list[uuid.UUID]:
    parsed: list[uuid.UUID] = []
    for value in subject_ids:
        try:
            parsed.append(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value).strip()))
        except ValueError:
            raise InvalidLegalRequest(
                gettext("%(value)r is not a customer id.") % {"value": value}
            ) from None
    unique = sorted(set(parsed))
    if not unique:
        raise InvalidLegalRequest(gettext("Name at least one customer, by customer id."))
    known = set(User.objects.filter(public_id__in=unique).values_list("public_id", flat=True))
    unknown = [str(s) for s in unique if s not in known]
    if unknown:
        raise InvalidLegalRequest(
            gettext("No customer with id %(join)s.") % {"join": ", ".join(unknown)}
        )
    return unique


def legal_request_disclose(
    *,
    request: LegalRequest,
    actor: User,
    categories: Iterable[str],
    subject_ids: Iterable[uuid.UUID | str],
    decision: str,
    place_hold: bool = True,
    now: datetime | None = None,
) -> LegalRequest:
    """Disclose the minimum: these categories of these customers, and nothing else."""
    now = now or timezone.now()
    chosen = categories_check(categories)
    subjects = _subjects_check(subject_ids)
    text = _text(decision, "The decision")
    if request.status == LegalRequestStatus.ASSESSED and request.is_valid is not True:
        raise InvalidLegalRequest(
            gettext("The request was assessed not valid: refuse it, or log a new one.")
        )
    held_models = models_holding(chosen) if place_hold else []
    with transaction.atomic():
        _transition(
            request,
            to_status=LegalRequestStatus.DISCLOSED,
            actor=actor,
            note=f"disclosed {len(chosen)} categories of {len(subjects)} customers",
            changes={
                "decision": text,
                "disclosed_categories": chosen,
                "decided_at": now,
                "decided_by": actor,
            },
        )
        LegalRequestSubject.objects.bulk_create(
            [LegalRequestSubject(request=request, subject_id=s) for s in subjects]
        )
        for subject_id in subjects:
            disclosure_record(
                subject_id=subject_id,
                recipient="authority",  # a literal: the SHR-01 scan reads it
                categories=chosen,
                purpose=DISCLOSURE_PURPOSE,
                reference=request.reference,
            )
            for model in held_models:
                legal_hold_place(
                    subject_id=subject_id,
                    kind=LegalHold.Kind.LEGAL_REQUEST,
                    reason=f"Legal request {request.reference} from {request.authority}",
                    model=model,
                    reference=request.reference,
                    placed_by=actor,
                )
    request.refresh_from_db()
    return request


def legal_request_refuse(
    *, request: LegalRequest, actor: User, decision: str, now: datetime | None = None
) -> LegalRequest:
    """Disclose nothing, and say why."""
    text = _text(decision, "The reason for refusing")
    with transaction.atomic():
        _transition(
            request,
            to_status=LegalRequestStatus.REFUSED,
            actor=actor,
            note="refused",
            changes={"decision": text, "decided_at": now or timezone.now(), "decided_by": actor},
        )
    request.refresh_from_db()
    return request


# --- Reads ---------------------------------------------------------------------------


def legal_requests_open() -> QuerySet[LegalRequest]:
    return LegalRequest.objects.filter(
        status__in=[LegalRequestStatus.RECEIVED, LegalRequestStatus.ASSESSED]
    )


def legal_request_subject_ids(*, request: LegalRequest) -> list[uuid.UUID]:
    return list(request.subjects.order_by("pk").values_list("subject_id", flat=True))


def legal_request_holds(*, request: LegalRequest) -> QuerySet[LegalHold]:
    return LegalHold.objects.filter(
        kind=LegalHold.Kind.LEGAL_REQUEST, reference=request.reference
    ).order_by("subject_id", "model")


@dataclass(frozen=True)
class PackageRecord:
    model: str
    row_id: str
    values: dict[str, Any]


@dataclass(frozen=True)
class PackageSubject:
    subject_id: uuid.UUID
    records: tuple[PackageRecord, ...]


def legal_request_package(
    *, request: LegalRequest, actor: User, request_id: str = ""
) -> list[PackageSubject]:
    """The disclosed data itself, for the authority: only the disclosed
    categories of the disclosed customers, read through the data map. Each
    customer's read is written to the staff access log."""
    if request.status != LegalRequestStatus.DISCLOSED:
        raise InvalidLegalRequest(gettext("Only a disclosed request has data to hand over."))
    chosen = list(request.disclosed_categories)
    subject_ids = legal_request_subject_ids(request=request)
    users = {u.public_id: u for u in User.objects.filter(public_id__in=subject_ids)}
    package: list[PackageSubject] = []
    accesses: list[Access] = []
    for subject_id in subject_ids:
        user = users.get(subject_id)
        if user is None:  # erased since: nothing of theirs is left to hand over
            package.append(PackageSubject(subject_id, ()))
            continue
        records: list[PackageRecord] = []
        fields: set[str] = set()
        for held in personal_data_of(user):
            values = {v.name: v.value for v in held.values if in_categories(v.category, chosen)}
            if values:
                records.append(PackageRecord(held.model, held.row_id, values))
                fields.update(f"{held.model}.{name}" for name in values)
        package.append(PackageSubject(subject_id, tuple(records)))
        accesses.append(
            Access(
                actor=actor,
                subject=user,
                obj=request,
                fields=tuple(sorted(fields)),
                action=AccessEvent.Action.EXPORT,
                reason=f"Legal request {request.reference}: disclosure to {request.authority}",
                request_id=request_id,
            )
        )
    if accesses:
        access_record_many(accesses)
    return package
