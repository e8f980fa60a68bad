"""The list of erased subjects: a public id and a date, kept so that erased
data stays erased when a backup is restored (SEC-05, ADR 0010)."""

from __future__ import annotations

from django.db.models import QuerySet

from roamwise.datamap.registry import (
    Declaration,
    Erasure,
    NotPersonal,
    PersonalField,
    Retention,
    data_map,
)

from .models import Tombstone

ERASURE_PROOF = "Proof of erasure: a restored backup is erased again (SEC-05)"


def _tombstone_of(user: object) -> QuerySet[Tombstone]:
    return Tombstone.objects.filter(subject_id=user.public_id)  # type: ignore[attr-defined]


data_map.declare(
    Declaration(
        model="vault.Tombstone",
        subject=_tombstone_of,
        description=(
            "After we erase your data: your customer number and the date, and nothing "
            "else, so that a restored backup is erased again."
        ),
        fields=(
            PersonalField("subject_id", "user.unique_id"),
            PersonalField("erased_at", "user.account.settings"),
        ),
        purposes=("legal",),
        legal_basis="legal_obligation",
        retention=Retention(
            action="keep",
            period=None,
            anchor="",
            legal_obligation=ERASURE_PROOF,
            summary="As long as a backup made before the erasure may exist",
        ),
        erasure=Erasure.retain(ERASURE_PROOF),
        location="key_store",
    )
)

data_map.declare_not_personal(
    NotPersonal(
        model="vault.AuditAnchor",
        reason="Event numbers and hashes of the staff access log: no personal content.",
    )
)
