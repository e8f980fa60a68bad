from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from roamwise.datamap.registry import Declaration, Erasure, PersonalField, Retention, data_map

from .models import LegalHold


def _holds_of(user: object) -> QuerySet[LegalHold]:
    return LegalHold.objects.filter(subject_id=user.public_id)  # type: ignore[attr-defined]


data_map.declare(
    Declaration(
        model="retention.LegalHold",
        label=gettext_lazy("Legal holds"),
        subject=_holds_of,
        description=gettext_lazy(
            "Legal holds: a dispute or a legal request that suspends deletion."
        ),
        fields=(
            PersonalField("subject_id", "user.unique_id"),
            PersonalField("reason", "user.account.settings"),
            PersonalField("placed_by", "user.staff.activity"),
            PersonalField("released_by", "user.staff.activity"),
            PersonalField("model", "user.account.settings"),
            PersonalField("object_id", "user.account.settings"),
            PersonalField("kind", "user.account.settings"),
            PersonalField("reference", "user.account.settings"),
            PersonalField("placed_at", "user.account.settings"),
            PersonalField("released_at", "user.account.settings"),
        ),
        purposes=("legal",),
        legal_basis="legal_obligation",
        # From the release: an active hold is never due, however old.
        retention=Retention.after(
            6 * 365, anchor="released_at", summary="6 years after the hold is released"
        ),
        erasure=Erasure.retain("A legal hold is kept while the dispute or request is open"),
    )
)
