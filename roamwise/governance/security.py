"""The security organisation on record (SEC-08): the security roles and who
holds them, staff training and risk assessments.

Every change goes through these services, which write it to the audit trail
(roamwise.audit) in the same transaction, naming the staff member the record
is about: an auditor sees who changed what, and the chain shows if anyone
edited the log afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models, transaction

from roamwise.accounts.models import User
from roamwise.audit.models import AccessEvent
from roamwise.audit.services import Access, access_record

from .models import RiskAssessment, SecurityRole, StaffTraining

SecurityRecord = SecurityRole | StaffTraining | RiskAssessment

# The staff member each kind of record is about: the audit row's subject.
PERSON_FIELD: dict[type[models.Model], str] = {
    SecurityRole: "holder",
    StaffTraining: "staff",
    RiskAssessment: "owner",
}

CHANGED_REASON = "security organisation record changed in the back office"


def _person_of(record: SecurityRecord) -> User:
    return getattr(record, PERSON_FIELD[type(record)])


def _audit(
    *, actor: User, record: SecurityRecord, action: str, fields: Iterable[str], reason: str
) -> None:
    access_record(
        Access(
            actor=actor,
            subject=_person_of(record),
            obj=record,
            fields=tuple(sorted(fields)),
            action=action,
            reason=reason,
        )
    )


def security_record_save(
    *, actor: User, record: SecurityRecord, changed: Iterable[str], reason: str = ""
) -> SecurityRecord:
    """Create or change a record; the audit row lists the fields changed."""
    created = record.pk is None
    fields = [f.name for f in record._meta.concrete_fields if not f.primary_key]
    changed = list(changed) if not created else fields
    with transaction.atomic():
        record.full_clean()
        record.save()
        if created or changed:
            _audit(
                actor=actor,
                record=record,
                action=AccessEvent.Action.CREATE if created else AccessEvent.Action.CHANGE,
                fields=changed,
                reason=reason.strip() or CHANGED_REASON,
            )
    return record


def security_record_delete(*, actor: User, record: SecurityRecord, reason: str = "") -> None:
    with transaction.atomic():
        _audit(
            actor=actor,
            record=record,
            action=AccessEvent.Action.DELETE,
            fields=[f.name for f in record._meta.concrete_fields if not f.primary_key],
            reason=reason.strip() or "security organisation record deleted in the back office",
        )
        record.delete()


def security_record_history(*, record: Any) -> list[AccessEvent]:
    """The audit trail of one record, oldest first."""
    return list(
        AccessEvent.objects.filter(
            object_type=record._meta.label, object_id=str(record.pk)
        ).order_by("id")
    )
