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

# Orders sit above promotions: the same words as orders.privacy.BILLING_LAW.
BILLING_LAW = "Tax law: invoices and billing records are kept 7 years"

data_map.declare(
    Declaration(
        model="promotions.PromotionUse",
        label=gettext_lazy("Promotions used"),
        subject="customer",
        description=gettext_lazy(
            "The promotions your orders used, so that a code is used no more often than it allows."
        ),
        fields=(
            PersonalField("promotion", "user.behavior.purchase_history"),
            PersonalField("status", "user.behavior.purchase_history"),
            PersonalField("created_at", "user.behavior.purchase_history"),
            PersonalField("counted_at", "user.behavior.purchase_history"),
        ),
        purposes=("service", "billing"),
        legal_basis="contract",
        # The use stands behind the discount on the order and its invoice.
        retention=Retention(
            action="keep", legal_obligation=BILLING_LAW, anchor="", summary="With its order"
        ),
        erasure=Erasure.retain(BILLING_LAW),
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "promotions.Promotion",
        reason="A promotion staff set up (its name, code, discount and limits): the same for "
        "every customer; who used it is in promotions.PromotionUse.",
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "promotions.PromotionAmount",
        reason="What a promotion takes off in one currency: about the promotion, not a person.",
    )
)
