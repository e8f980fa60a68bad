from __future__ import annotations

from django.db.models import QuerySet

from roamwise.datamap.registry import Declaration, Erasure, PersonalField, Retention, data_map

from .models import Disclosure


def _disclosures_of(user: object) -> QuerySet[Disclosure]:
    return Disclosure.objects.filter(subject_id=user.public_id)  # type: ignore[attr-defined]


data_map.declare(
    Declaration(
        model="governance.Disclosure",
        subject=_disclosures_of,
        description="Which third parties received which kinds of your data, when and why.",
        fields=(
            PersonalField("subject_id", "user.unique_id"),
            PersonalField("categories", "user.privacy.staff_access"),
            PersonalField("occurred_at", "user.privacy.staff_access"),
        ),
        purposes=("legal",),
        legal_basis="legal_obligation",
        retention=Retention.after(6 * 365, anchor="occurred_at", summary="6 years"),
        erasure=Erasure.retain("Accountability: proof of what was shared with whom"),
    )
)
