from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext_lazy

from roamwise.datamap.registry import (
    ROW_BOOKKEEPING,
    Declaration,
    Erasure,
    NotPersonal,
    PersonalField,
    Retention,
    data_map,
)

BILLING_LAW = "Tax law: invoices and billing records are kept 7 years"
# RET-03. Seven years, leap days included: never a day short.
BILLING_YEARS = 7
BILLING_PERIOD = timedelta(days=BILLING_YEARS * 365 + 2)

data_map.declare(
    Declaration(
        model="orders.Order",
        label=gettext_lazy("Your orders"),
        subject="customer",
        description=gettext_lazy(
            "Your orders: plan, price, any discount, billing name, address and contact "
            "number, the terms of sale you accepted and your consent to immediate supply."
        ),
        fields=(
            PersonalField("billing_name", "user.name"),
            PersonalField("billing_address", "user.contact.address"),
            PersonalField("billing_country", "user.contact.address"),
            PersonalField("contact_phone", "user.contact.phone_number"),
            PersonalField("total", "user.behavior.purchase_history"),
            PersonalField("status", "user.behavior.purchase_history"),
            PersonalField("created_at", "user.behavior.purchase_history"),
            PersonalField("plan", "user.behavior.purchase_history"),
            PersonalField("kind", "user.behavior.purchase_history"),
            PersonalField("currency", "user.behavior.purchase_history"),
            PersonalField("net_amount", "user.behavior.purchase_history"),
            PersonalField("tax_rate", "user.behavior.purchase_history"),
            PersonalField("tax_amount", "user.behavior.purchase_history"),
            PersonalField("refunded_amount", "user.behavior.purchase_history"),
            PersonalField("paid_at", "user.behavior.purchase_history"),
            PersonalField("terms_version", "user.behavior.purchase_history"),
            PersonalField("withdrawal_waived_at", "user.behavior.purchase_history"),
            PersonalField("price_before_discount", "user.behavior.purchase_history"),
            PersonalField("discount_amount", "user.behavior.purchase_history"),
            PersonalField("promotion_use", "user.behavior.purchase_history"),
        ),
        purposes=("service", "billing"),
        legal_basis="contract",
        # The order stays in the account's history (its eSIM and bundles
        # refer to it); the billing name, address and phone go.
        retention=Retention(
            action="anonymise",
            period=BILLING_PERIOD,
            anchor="created_at",
            legal_obligation=BILLING_LAW,
            summary="7 years after the purchase (billing records), then the billing details go",
            anonymise_fields=("billing_name", "billing_address", "contact_phone"),
        ),
        # Tax law needs the amounts, the country (VAT) and the dates; the name
        # and address are on the invoice. The rest goes (ADR 0010).
        erasure=Erasure.retain(
            BILLING_LAW, strip=("billing_name", "billing_address", "contact_phone")
        ),
        # The processor gets the amount, its currency and the plan's name; the
        # billing name, address and phone stay with us (SHR-02).
        recipients=("payment", "hosting"),
        received=(("payment", ("total", "currency", "plan")),),
    )
)

data_map.declare(
    Declaration(
        model="orders.OrderEvent",
        label=gettext_lazy("Order history"),
        subject="order__customer",
        description=gettext_lazy("The history of each order."),
        fields=(
            PersonalField("actor", "user.behavior.purchase_history"),
            PersonalField("note", "user.behavior.purchase_history"),
            PersonalField("from_status", "user.behavior.purchase_history"),
            PersonalField("to_status", "user.behavior.purchase_history"),
            PersonalField("created_at", "user.behavior.purchase_history"),
        ),
        purposes=("service", "billing"),
        legal_basis="contract",
        retention=Retention(
            action="anonymise",
            period=BILLING_PERIOD,
            anchor="created_at",
            legal_obligation=BILLING_LAW,
            summary="7 years, then who acted and the notes go",
            anonymise_fields=("actor", "note"),
        ),
        erasure=Erasure.retain(BILLING_LAW, strip=("note",)),
    )
)

data_map.declare(
    Declaration(
        model="orders.Fulfilment",
        label=gettext_lazy("Deliveries"),
        subject="order__customer",
        description=gettext_lazy("Whether each paid order was delivered."),
        fields=(
            PersonalField("status", "user.behavior.purchase_history"),
            PersonalField("requested_at", "user.behavior.purchase_history"),
            PersonalField("completed_at", "user.behavior.purchase_history"),
        ),
        purposes=("service",),
        legal_basis="contract",
        retention=Retention(
            action="keep", legal_obligation=BILLING_LAW, anchor="", summary="With its order"
        ),
        erasure=Erasure.retain(BILLING_LAW),
    )
)

data_map.declare(
    Declaration(
        model="orders.Invoice",
        label=gettext_lazy("Invoices"),
        subject="order__customer",
        description=gettext_lazy("Invoices, sealed with the billing key of their year."),
        fields=(
            PersonalField("billing_name", "user.name"),
            PersonalField("billing_address", "user.contact.address"),
            PersonalField("billing_country", "user.contact.address"),
            PersonalField("total", "user.behavior.purchase_history"),
            PersonalField("number", "user.behavior.purchase_history"),
            PersonalField("year", "user.behavior.purchase_history"),
            PersonalField("sequence", "user.behavior.purchase_history"),
            PersonalField("issued_at", "user.behavior.purchase_history"),
            PersonalField("description", "user.behavior.purchase_history"),
            PersonalField("currency", "user.behavior.purchase_history"),
            PersonalField("net_amount", "user.behavior.purchase_history"),
            PersonalField("tax_rate", "user.behavior.purchase_history"),
            PersonalField("tax_amount", "user.behavior.purchase_history"),
            PersonalField("discount_amount", "user.behavior.purchase_history"),
            PersonalField("discount_label", "user.behavior.purchase_history"),
        ),
        purposes=("billing", "legal"),
        legal_basis="legal_obligation",
        retention=Retention(
            action="delete",
            period=BILLING_PERIOD,
            anchor="issued_at",
            legal_obligation=BILLING_LAW,
            summary="7 years from the end of the year of issue, then deleted",
            # Counted from the end of the year, and the year's key destroyed.
            sweeper="roamwise.orders.services.invoices_sweep",
        ),
        erasure=Erasure.retain(BILLING_LAW),
        # The receipt email carries the invoice as a PDF (SHR-02).
        recipients=("email",),
    )
)

data_map.declare(
    Declaration(
        model="orders.Refund",
        label=gettext_lazy("Refunds"),
        subject="order__customer",
        description=gettext_lazy("Refunds asked for and made."),
        fields=(
            PersonalField("amount", "user.behavior.purchase_history"),
            PersonalField("reason", "user.behavior.purchase_history"),
            PersonalField("currency", "user.behavior.purchase_history"),
            PersonalField("status", "user.behavior.purchase_history"),
            PersonalField("requested_by", "user.behavior.purchase_history"),
            PersonalField("processor_ref", "user.financial"),
        ),
        purposes=("billing",),
        legal_basis="legal_obligation",
        retention=Retention(
            action="delete",
            period=BILLING_PERIOD,
            anchor="created_at",
            legal_obligation=BILLING_LAW,
            summary="7 years, then deleted",
        ),
        erasure=Erasure.retain(BILLING_LAW, strip=("reason",)),
        # The amount to refund, in its currency; the reason stays with us.
        recipients=("payment",),
        received=(("payment", ("amount", "currency")),),
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "orders.Order",
        fields=("updated_at", "public_id"),
        reason=ROW_BOOKKEEPING,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "orders.Order",
        fields=("idempotency_key",),
        reason=(
            "A random key the client chose so that a repeated request creates one order: no "
            "meaning outside that."
        ),
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "orders.Order",
        fields=("legal_hold",),
        reason=(
            "A copy of whether a legal hold covers the order, for the back office; the hold "
            "itself is declared (retention.LegalHold)."
        ),
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "orders.Refund",
        fields=("created_at", "updated_at", "public_id"),
        reason=ROW_BOOKKEEPING,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "orders.Invoice",
        fields=("margin_amount",),
        reason=(
            "What we kept on the sale after the wholesaler's cost, never printed: about our "
            "purchase, the same for every buyer of the plan (the order's margin, summed by "
            "the reports)."
        ),
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "orders.Invoice",
        fields=("seller",),
        reason=(
            "The seller's own company details as printed on the invoice, the same for every buyer."
        ),
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "orders.Order",
        fields=("supplier", "cost_amount", "cost_currency", "margin_amount"),
        reason=(
            "Which wholesaler supplied the order, what it charged us and what we kept: about "
            "our purchase, the same for every buyer of the plan."
        ),
    )
)
