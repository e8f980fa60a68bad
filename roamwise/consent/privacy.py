"""Personal data held by the consent app: choices and objections."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from roamwise.datamap.registry import Declaration, Erasure, PersonalField, Retention, data_map

data_map.declare(
    Declaration(
        model="consent.ConsentRecord",
        label=gettext_lazy("Consent choices"),
        subject="user",
        description=gettext_lazy(
            "Each consent you gave or withdrew, per purpose: when, how (banner, settings, "
            "API, Global Privacy Control) and under which policy version; never where you "
            "were. Before you sign in, a random visitor id stands in for you."
        ),
        fields=(
            PersonalField("visitor_id", "user.unique_id"),
            PersonalField("purpose", "user.consent"),
            PersonalField("granted", "user.consent"),
            PersonalField("source", "user.consent"),
            PersonalField("policy_version", "user.consent"),
            PersonalField("created_at", "user.consent"),
        ),
        purposes=("legal",),
        legal_basis="legal_obligation",
        retention=Retention.after(
            395, summary="13 months after the choice; then we ask again (no record means no)"
        ),
        erasure=Erasure.delete(),
    )
)

data_map.declare(
    Declaration(
        model="consent.ObjectionRecord",
        label=gettext_lazy("Objections and restrictions"),
        subject="user",
        description=gettext_lazy(
            "Your objections to, and restriction of, optional processing (RGT-06)."
        ),
        fields=(
            PersonalField("scope", "user.consent"),
            PersonalField("active", "user.consent"),
            PersonalField("created_at", "user.consent"),
        ),
        purposes=("legal",),
        legal_basis="legal_obligation",
        retention=Retention.account_lifetime(),
        erasure=Erasure.delete(),
    )
)
