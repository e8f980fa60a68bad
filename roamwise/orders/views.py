from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from roamwise.catalog import pricing
from roamwise.catalog import selectors as catalog
from roamwise.catalog.currency import request_currency
from roamwise.catalog.models import Plan
from roamwise.consent.middleware import request_consent
from roamwise.core.errors import DomainError, NotFound
from roamwise.core.money import Money
from roamwise.core.ratelimit import RateLimited
from roamwise.core.typing import AuthenticatedRequest
from roamwise.kernel import policies
from roamwise.promotions.errors import PromotionRefused
from roamwise.promotions.services import Discount

from . import hooks, selectors, services
from .forms import CheckoutForm, checkout_initial, shown_amount
from .invoices import address_lines, invoice_pdf, seller_lines
from .models import Invoice, Order, OrderStatus


def billing_initial(request: AuthenticatedRequest) -> dict[str, str]:
    """The checkout form's starting values for this customer (a new eSIM and a top-up alike)."""
    profile = getattr(request.user, "profile", None)
    return checkout_initial(
        last=selectors.last_billing(customer=request.user),
        country=request_consent(request).country(),
        phone=profile.phone if profile else "",
    )


# The orders whose customer came back from the processor's page in this session.
RETURNED_FROM_PAYING = "orders_returned_from_paying"


def payment_came_back(request: AuthenticatedRequest, order: Order) -> bool:
    """Whether this order's payment is done or on its way: the processor took
    it, or the customer came back from paying and its webhook is pending. A
    failed payment can be tried again."""
    latest = hooks.payment_latest_status(order=order)
    if latest in ("", "failed"):
        return False
    if latest == "succeeded":
        return True
    return str(order.public_id) in request.session.get(RETURNED_FROM_PAYING, [])


def _own_order(request: AuthenticatedRequest, public_id: uuid.UUID) -> Order:
    try:
        return selectors.order_of(customer=request.user, public_id=public_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _discount(
    request: AuthenticatedRequest, plan: Plan, price: Money, code: str
) -> tuple[Discount | None, str, RateLimited | None]:
    """The checkout's discount: the code's if it applies, else the best
    automatic one; the code kept ("" if refused), and the rate limit if hit."""
    try:
        discount = services.checkout_discount(
            customer=request.user,
            plan=plan,
            price=price,
            code=code,
            client_ip=request.META.get("REMOTE_ADDR", ""),
        )
        return discount, code, None
    except DomainError as exc:
        messages.error(request, exc.message)
        limited = exc if isinstance(exc, RateLimited) else None
    discount = services.checkout_discount(customer=request.user, plan=plan, price=price)
    return discount, "", limited


@login_required
@require_http_methods(["GET", "POST"])
def checkout(request: AuthenticatedRequest, plan_id: uuid.UUID) -> HttpResponse:
    try:
        plan = catalog.plan_get(public_id=plan_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    # The currency and price the page showed come back with the form: the order
    # is made for exactly them, or refused if the price has changed (ADR 0027).
    currency = request.POST.get("currency") or request_currency(request)
    try:
        price = pricing.plan_price(plan=plan, currency=currency)
    except DomainError as exc:
        messages.error(request, exc.message)
        price = pricing.plan_price(plan=plan, currency=request_currency(request))
    # A promotion code is applied on its own (the page shows the price with
    # it), then posted again with the billing details (ADR 0031).
    code = request.POST.get("promotion_code", "").strip()[:40]
    applying = "apply_code" in request.POST
    form = CheckoutForm(
        None if applying else (request.POST or None),
        initial=billing_initial(request),
        terms_in_force=policies.terms_version_label(),
    )
    shown_total = shown_amount(request.POST.get("shown_total"))
    limited: RateLimited | None = None
    if request.method == "POST" and not applying and shown_total is None:
        messages.error(request, gettext("Check the price and confirm again."))
    elif request.method == "POST" and not applying and form.is_valid():
        data = form.cleaned_data
        billing = services.BillingDetails(
            name=data["name"],
            line1=data["line1"],
            line2=data["line2"],
            city=data["city"],
            postcode=data["postcode"],
            country=data["country"],
            phone=data["phone"],
        )
        try:
            order = services.order_create(
                customer=request.user,
                plan=plan,
                billing=billing,
                idempotency_key=request.POST.get("idempotency_key", "")[:64],
                consent=services.CheckoutConsent(
                    terms_version=data["terms_version"],
                    withdrawal_waived=data["waive_withdrawal"],
                ),
                currency=price.currency,
                shown_total=shown_total,
                promotion_code=code,
                client_ip=request.META.get("REMOTE_ADDR", ""),
            )
            return HttpResponseRedirect(hooks.payment_start(order=order))
        except (PromotionRefused, RateLimited) as exc:
            # The page is shown again without the code, and says why.
            messages.error(request, exc.message)
            limited = exc if isinstance(exc, RateLimited) else None
            code = ""
        except DomainError as exc:
            messages.error(request, exc.message)
    # The price the page shows (and its order form posts back): with the
    # code it carries, or the best automatic promotion.
    discount, code, refused_by_limit = _discount(request, plan, price, code)
    limited = limited or refused_by_limit
    if applying and discount is not None and discount.code:
        messages.success(request, gettext("Code %(code)s applied.") % {"code": discount.code})
    context = {
        "plan": plan,
        "form": form,
        "price": price,
        "discount": discount,
        "to_pay": services.price_to_pay(price=price, discount=discount),
        "promotion_code": code,
    }
    response = render(request, "orders/checkout.html", context, status=429 if limited else 200)
    if limited:
        response["Retry-After"] = str(limited.retry_after)
    return response


@login_required
def order_list(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request, "orders/order_list.html", {"orders": selectors.orders_of(customer=request.user)}
    )


@login_required
def order_detail(request: AuthenticatedRequest, public_id: uuid.UUID) -> HttpResponse:
    order = _own_order(request, public_id)
    payment_back = payment_came_back(request, order)
    context = {
        "order": order,
        "events": order.events.all(),
        "payments": order.payments.all(),
        "refunds": order.refunds.all(),
        "invoice": getattr(order, "invoice", None),
        "confirming": payment_back and order.status == OrderStatus.AWAITING_PAYMENT,
        # Once the processor has the money (or the customer came back from
        # paying), paying again is never offered: the webhook settles it.
        "can_pay": order.can_pay and not payment_back,
        "esim": selectors.esim_of_order(order=order),
        "can_ask_refund": order.can_ask_refund,
    }
    return render(request, "orders/order_detail.html", context)


@login_required
def order_esim(request: AuthenticatedRequest, public_id: uuid.UUID) -> HttpResponse:
    """Where the customer lands after paying, and what the confirmation email
    links: the order's eSIM as soon as it exists (its page shows the install
    details, or refreshes itself while the eSIM is prepared); until then this
    page says how far the order is, and refreshes itself."""
    order = _own_order(request, public_id)
    if order.status == OrderStatus.AWAITING_PAYMENT:
        returned = request.session.get(RETURNED_FROM_PAYING, [])
        if str(order.public_id) not in returned:
            request.session[RETURNED_FROM_PAYING] = [*returned[-9:], str(order.public_id)]
    unpaid = order.can_pay
    esim = selectors.esim_of_order(order=order)
    if esim is not None and not unpaid:
        return redirect("esims:detail", public_id=esim.public_id)
    waiting = unpaid or order.status == OrderStatus.PAID
    return render(request, "orders/order_esim.html", {"order": order, "waiting": waiting})


@login_required
@require_POST
def order_pay(request: AuthenticatedRequest, public_id: uuid.UUID) -> HttpResponse:
    order = _own_order(request, public_id)
    try:
        return HttpResponseRedirect(hooks.payment_start(order=order))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("orders:detail", public_id=order.public_id)


@login_required
@require_POST
def refund_request(request: AuthenticatedRequest, public_id: uuid.UUID) -> HttpResponse:
    order = _own_order(request, public_id)
    try:
        services.refund_request(order=order, reason=request.POST.get("reason", ""))
        messages.success(
            request, gettext("We have your refund request; you will hear from us shortly.")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("orders:detail", public_id=order.public_id)


def _own_invoice(request: AuthenticatedRequest, public_id: uuid.UUID) -> Invoice:
    order = _own_order(request, public_id)
    invoice = getattr(order, "invoice", None)
    if invoice is None:
        raise Http404("This order has no invoice yet.")
    return invoice


@login_required
def invoice_html(request: AuthenticatedRequest, public_id: uuid.UUID) -> HttpResponse:
    invoice = _own_invoice(request, public_id)
    context = {
        "invoice": invoice,
        "seller": seller_lines(invoice),
        "billed_to": address_lines(
            invoice.billing_name, invoice.billing_address or {}, invoice.billing_country
        ),
    }
    return render(request, "orders/invoice.html", context)


@login_required
def invoice_download(request: AuthenticatedRequest, public_id: uuid.UUID) -> HttpResponse:
    invoice = _own_invoice(request, public_id)
    response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
    return response
