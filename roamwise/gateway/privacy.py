from __future__ import annotations

from roamwise.datamap.registry import NotPersonal, data_map

# The simulated processor is a separate system that shares the process: in
# production it does not exist. It keeps no card number, only what a receipt
# shows, against the merchant's order reference.
for model, fields in (
    ("gateway.GatewaySession", ("card_brand", "card_last4", "card_exp_month", "card_exp_year")),
    ("gateway.WebhookDelivery", None),
):
    data_map.declare_not_personal(
        NotPersonal(
            model, fields=fields, reason="Test processor's own records, absent in production."
        )
    )
