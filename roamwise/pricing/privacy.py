from __future__ import annotations

from django.utils.translation import gettext_lazy

from roamwise.datamap.registry import (
    Declaration,
    Erasure,
    NotPersonal,
    PersonalField,
    Retention,
    data_map,
)

# Who applied prices, and why: the staff member's record of their work, kept
# with the shop's price history (ADR 0034).
data_map.declare(
    Declaration(
        model="pricing.PriceRun",
        label=gettext_lazy("Price changes by staff"),
        subject="actor",
        description=gettext_lazy(
            "Which staff member changed the shop's prices, when, and the reason given."
        ),
        fields=(PersonalField("created_at", "user.staff.activity"),),
        purposes=("security",),
        legal_basis="legitimate_interest",
        retention=Retention.after(6 * 365, anchor="created_at", summary="6 years, then deleted"),
        # The history of prices stays; who set them goes.
        erasure=Erasure.anonymise(keep=("created_at",)),
    )
)
data_map.declare_not_personal(
    NotPersonal(
        "pricing.PriceRun",
        fields=("kind", "reason"),
        reason="Rules applied or an override set, and why prices changed: about prices.",
    )
)
for model, reason in [
    ("pricing.PricingRule", "How the shop prices its plans: about no one."),
    ("pricing.PriceChange", "A plan's price before and after: about no one."),
    ("pricing.PriceOverride", "A plan's fixed price and why: about no one."),
]:
    data_map.declare_not_personal(NotPersonal(model=model, reason=reason))
