from __future__ import annotations

from datetime import timedelta

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from roamwise.datamap.registry import (
    Declaration,
    Erasure,
    NotPersonal,
    PersonalField,
    Retention,
    data_map,
)

from .models import AccessEvent


def _events_about(user: object) -> QuerySet[AccessEvent]:
    return AccessEvent.objects.filter(subject_id=user.public_id)  # type: ignore[attr-defined]


data_map.declare(
    Declaration(
        model="audit.AccessEvent",
        label=gettext_lazy("Staff access to your data"),
        subject=_events_about,
        description=gettext_lazy("Who at the company accessed your data, when, and why."),
        fields=(
            PersonalField("subject_id", "user.unique_id"),
            PersonalField("fields", "user.privacy.staff_access"),
            PersonalField("reason", "user.privacy.staff_access"),
            PersonalField("occurred_at", "user.privacy.staff_access"),
            PersonalField("actor_role", "user.privacy.staff_access"),
            PersonalField("action", "user.privacy.staff_access"),
            PersonalField("object_type", "user.privacy.staff_access"),
            PersonalField("object_id", "user.privacy.staff_access"),
        ),
        purposes=("security", "legal"),
        legal_basis="legal_obligation",
        retention=Retention(
            action="delete",
            period=timedelta(days=6 * 365),
            anchor="occurred_at",
            summary="6 years, as proof of who accessed personal data",
            sweeper="roamwise.audit.services.access_events_sweep",
        ),
        erasure=Erasure.retain("Accountability: proof of who accessed personal data"),
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "audit.AccessEvent",
        fields=("actor_id",),
        reason=(
            "The staff member's internal number: their data, held as a record of their work; the "
            "customer is shown the role (actor_role), not who."
        ),
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "audit.AccessEvent",
        fields=("request_id",),
        reason="The id of the web request, tying the entries of one request together.",
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "audit.AccessEvent",
        fields=("previous_hash", "hash"),
        reason="The hash chain that proves the log was not edited (SEC-04): digests, not content.",
    )
)
