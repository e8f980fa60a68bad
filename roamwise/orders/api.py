from __future__ import annotations

import uuid
from decimal import Decimal
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import Field, Header, Router, Schema, Status
from ninja.security import django_auth

from roamwise.accounts.forms import normalise_phone
from roamwise.catalog import selectors as catalog
from roamwise.catalog.api import CurrencyCode
from roamwise.core.api_auth import authenticated_user, session_token_auth
from roamwise.core.errors import DomainError
from roamwise.core.money import Money
from roamwise.core.schemas import Boolean, ErrorOut
from roamwise.kernel import policies

from . import hooks, selectors, services
from .errors import TermsOutdated
from .forms import COUNTRIES
from .models import Order

router = Router(tags=["orders"], auth=[session_token_auth, django_auth])
COUNTRY_CODES = {code for code, _ in COUNTRIES}
# ISO 3166-1 alpha-2, upper case: the spec lists every code, so a client (or a
# fuzzer) knows which are valid, and the server takes exactly those.
CountryCode = StrEnum("CountryCode", {code: code for code in sorted(COUNTRY_CODES)})  # type: ignore[misc]
TEXT = r"^[^\x00-\x1f\x7f]*$"


class BillingIn(Schema):
    name: str = Field(min_length=1, max_length=120, pattern=TEXT)
    line1: str = Field(min_length=1, max_length=200, pattern=TEXT)
    line2: str = Field("", max_length=200, pattern=TEXT)
    city: str = Field(min_length=1, max_length=100, pattern=TEXT)
    postcode: str = Field("", max_length=20, pattern=TEXT)
    country: CountryCode = Field(description="ISO 3166-1 alpha-2 code, upper case.")
    phone: str = Field(min_length=3, max_length=32, pattern=TEXT)


class OrderIn(Schema):
    plan_id: uuid.UUID
    billing: BillingIn
    currency: CurrencyCode | None = Field(
        None, description="ISO 4217 code of the currency to pay in; the plan's own if absent."
    )
    shown_total: Decimal | None = Field(
        None,
        max_digits=12,
        decimal_places=2,
        description="The price the customer was shown in that currency: the order is refused "
        "(409 price_changed) if it is no longer the price.",
    )
    terms_version: str = Field(
        "",
        max_length=32,
        pattern=TEXT,
        description="The version of the terms of sale the customer read and accepted "
        "(shown on /terms/); recorded on the order. Must be the version in force.",
    )
    waive_withdrawal: Boolean = Field(
        False,
        description="The customer asked for the eSIM to be supplied immediately and "
        "acknowledged losing the right of withdrawal once it is delivered.",
    )
    promotion_code: str = Field(
        "",
        max_length=40,
        pattern=TEXT,
        description="A promotion code the customer typed, in any case. Refused with 422 and "
        "a code saying why (promotion_unknown, promotion_expired, ...) if it does not apply; "
        "tries are rate-limited (429). Without one, the best automatic promotion applies. "
        "shown_total is the price after the discount.",
    )


class OrderOut(Schema):
    id: uuid.UUID
    plan_id: uuid.UUID
    plan_name: str
    status: str
    currency: str
    net_amount: Decimal
    tax_rate: Decimal
    tax_amount: Decimal
    total: Decimal = Field(description="Decimal string in the currency's own unit.")
    total_display: str = Field(description="The total written for the request's language.")
    refunded_amount: Decimal
    price_before_discount: Decimal
    discount_amount: Decimal = Field(description="What a promotion took off, VAT included.")
    invoice_number: str | None
    created_at: str


class PaymentStartOut(Schema):
    payment_url: str


def _amount(amount: Decimal, currency: str) -> Decimal:
    """At the currency's precision: "675" yen, not "675.00"."""
    return Money(amount, currency).quantized()


def order_out(order: Order) -> OrderOut:
    invoice = getattr(order, "invoice", None)
    return OrderOut(
        id=order.public_id,
        plan_id=order.plan.public_id,
        plan_name=order.plan.name,
        status=order.status,
        currency=order.currency,
        net_amount=_amount(order.net_amount, order.currency),
        tax_rate=order.tax_rate,
        tax_amount=_amount(order.tax_amount, order.currency),
        total=_amount(order.total, order.currency),
        total_display=order.money_total.format(),
        refunded_amount=_amount(order.refunded_amount, order.currency),
        price_before_discount=_amount(order.price_before_discount, order.currency),
        discount_amount=_amount(order.discount_amount, order.currency),
        invoice_number=invoice.number if invoice else None,
        created_at=order.created_at.isoformat(),
    )


class InvalidBilling(DomainError):
    code = "invalid_billing"
    status = 422


def billing_details(billing: BillingIn) -> services.BillingDetails:
    """Checks what the schema cannot: a real phone number."""
    try:
        phone = normalise_phone(billing.phone)
    except ValidationError as exc:
        raise InvalidBilling(gettext("The contact number is not a valid phone number.")) from exc
    return services.BillingDetails(
        name=billing.name,
        line1=billing.line1,
        line2=billing.line2,
        city=billing.city,
        postcode=billing.postcode,
        country=str(billing.country.value),
        phone=phone,
    )


@router.post(
    "/orders",
    response={
        201: OrderOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
        429: ErrorOut,
    },
    summary="Create an order (send an Idempotency-Key to retry safely)",
)
def create_order(
    request: HttpRequest,
    body: OrderIn,
    idempotency_key: str = Header(
        "", alias="Idempotency-Key", max_length=64, pattern=r"^[A-Za-z0-9._:-]*$"
    ),
) -> Status[OrderOut]:
    billing = billing_details(body.billing)
    plan = catalog.plan_get(public_id=body.plan_id)
    in_force = policies.terms_version_label()
    if body.terms_version and body.terms_version != in_force:
        raise TermsOutdated(
            gettext(
                "The terms of sale in force are version %(in_force)s: show them to the customer "
                "and send that version."
            )
            % {"in_force": in_force}
        )
    order = services.order_create(
        customer=authenticated_user(request),
        plan=plan,
        billing=billing,
        idempotency_key=idempotency_key,
        consent=services.CheckoutConsent(
            terms_version=body.terms_version, withdrawal_waived=body.waive_withdrawal
        ),
        currency=body.currency.value if body.currency else "",
        shown_total=body.shown_total,
        promotion_code=body.promotion_code,
        client_ip=request.META.get("REMOTE_ADDR", ""),
    )
    return Status(201, order_out(order))


@router.get("/orders", response={200: list[OrderOut], 401: ErrorOut}, summary="Your orders")
def list_orders(request: HttpRequest) -> list[OrderOut]:
    return [order_out(o) for o in selectors.orders_of(customer=authenticated_user(request))[:200]]


@router.get(
    "/orders/{order_id}",
    response={200: OrderOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="One of your orders",
)
def get_order(request: HttpRequest, order_id: uuid.UUID) -> OrderOut:
    return order_out(selectors.order_of(customer=authenticated_user(request), public_id=order_id))


@router.post(
    "/orders/{order_id}/pay",
    response={
        200: PaymentStartOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
        503: ErrorOut,
    },
    summary="Start paying an order: returns the processor's hosted page",
)
def pay_order(request: HttpRequest, order_id: uuid.UUID) -> PaymentStartOut:
    order = selectors.order_of(customer=authenticated_user(request), public_id=order_id)
    return PaymentStartOut(payment_url=hooks.payment_start(order=order))
