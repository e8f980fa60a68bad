from __future__ import annotations

from roamwise.datamap.registry import (
    Declaration,
    Erasure,
    NotPersonal,
    PersonalField,
    Retention,
    data_map,
)
from roamwise.orders.privacy import BILLING_LAW

data_map.declare(
    Declaration(
        model="payments.Payment",
        subject="order__customer",
        description="Payments: the processor's reference, card brand, last four digits, expiry.",
        fields=(
            PersonalField("processor_ref", "user.financial"),
            PersonalField("payment_ref", "user.financial"),
            PersonalField("card_brand", "user.financial"),
            PersonalField("card_last4", "user.financial"),
            PersonalField("card_exp_month", "user.financial"),
            PersonalField("card_exp_year", "user.financial"),
        ),
        purposes=("billing",),
        legal_basis="contract",
        retention=Retention(
            action="keep",
            legal_obligation=BILLING_LAW,
            anchor="",
            summary="7 years, with the order",
        ),
        erasure=Erasure.retain(BILLING_LAW),
        recipients=("payment",),
    )
)

data_map.declare_not_personal(
    NotPersonal("payments.WebhookEvent", reason="Processor event ids and types, no personal data.")
)
