from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy

from roamwise.datamap.registry import (
    ROW_BOOKKEEPING,
    Declaration,
    Erasure,
    NotPersonal,
    PersonalField,
    Retention,
    Sends,
    data_map,
)
from roamwise.orders.privacy import BILLING_LAW, BILLING_PERIOD

data_map.declare(
    Declaration(
        model="payments.Payment",
        label=gettext_lazy("Payments"),
        subject="order__customer",
        description=gettext_lazy(
            "Payments: the processor's reference, card brand, last four digits, expiry."
        ),
        fields=(
            PersonalField("processor_ref", "user.financial"),
            PersonalField("payment_ref", "user.financial"),
            PersonalField("card_brand", "user.financial"),
            PersonalField("card_last4", "user.financial"),
            PersonalField("card_exp_month", "user.financial"),
            PersonalField("card_exp_year", "user.financial"),
            PersonalField("status", "user.financial"),
            PersonalField("failure_code", "user.financial"),
            PersonalField("amount", "user.financial"),
            PersonalField("currency", "user.financial"),
        ),
        purposes=("billing",),
        legal_basis="contract",
        retention=Retention(
            action="delete",
            period=BILLING_PERIOD,
            anchor="created_at",
            legal_obligation=BILLING_LAW,
            summary="7 years, then deleted",
        ),
        # The processor's references reconcile the books; the card is not needed.
        erasure=Erasure.retain(
            BILLING_LAW, strip=("card_brand", "card_last4", "card_exp_month", "card_exp_year")
        ),
        # The processor's own references, sent back to it to refund or to ask
        # how a checkout ended; the card details come from it, never go to it.
        recipients=("payment",),
        received=(("payment", ("processor_ref", "payment_ref")),),
    )
)

# What each payment processor's adapter sends (SHR-02): the order's amount,
# currency and plan under our reference, the processor's own references, and
# with Stripe the customer's email, which its checkout page asks for.
SIMULATED_SENDS = data_map.declare_sends(
    Sends(
        recipient="payment",
        adapter="roamwise.payments.gateways.simulated",
        categories=("user.behavior.purchase_history", "user.financial"),
        active=lambda: settings.PAYMENT_GATEWAY != "stripe",
    )
)
STRIPE_SENDS = data_map.declare_sends(
    Sends(
        recipient="payment",
        adapter="roamwise.payments.gateways.stripe",
        categories=("user.behavior.purchase_history", "user.financial", "user.contact.email"),
        active=lambda: settings.PAYMENT_GATEWAY == "stripe",
    )
)

data_map.declare_not_personal(
    NotPersonal("payments.WebhookEvent", reason="Processor event ids and types, no personal data.")
)

data_map.declare_not_personal(
    NotPersonal(
        "payments.Payment",
        fields=("created_at", "updated_at"),
        reason=ROW_BOOKKEEPING,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "payments.Payment",
        fields=("processor",),
        reason=(
            "Which payment processor took the payment: the same for every customer of a deployment."
        ),
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "payments.Payment",
        fields=("checkout_url",),
        reason=(
            "The address of the processor's hosted payment page for this session, useless once "
            "paid or expired; it holds no card or personal data."
        ),
    )
)
