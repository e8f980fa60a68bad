from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from roamwise.catalog.currency import request_currency
from roamwise.catalog.models import Plan
from roamwise.catalog.pricing import plans_priced
from roamwise.core import metrics
from roamwise.core.errors import DomainError, NotFound
from roamwise.core.ratelimit import RateLimited
from roamwise.core.typing import AuthenticatedRequest
from roamwise.help.guides import GUIDES, guide_for_user_agent
from roamwise.kernel import policies
from roamwise.orders import services as orders
from roamwise.orders.forms import CheckoutForm, shown_amount
from roamwise.orders.services import BillingDetails, CheckoutConsent
from roamwise.orders.views import billing_initial
from roamwise.payments import services as payments
from roamwise.promotions.errors import PromotionRefused

from . import errors, hooks, selectors
from .es2plus import PROTOCOL_VERSION
from .install import install_links, qr_png, qr_svg
from .models import Bundle, Esim, EsimState
from .services import lifecycle, notifications, topups


def _own(request: AuthenticatedRequest, public_id: uuid.UUID, *, in_full: bool = False) -> Esim:
    try:
        return selectors.esim_of(customer=request.user, public_id=public_id, in_full=in_full)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
def esim_list(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request, "esims/esim_list.html", {"esims": selectors.esims_of(customer=request.user)}
    )


@login_required
def esim_detail(request: AuthenticatedRequest, public_id: uuid.UUID) -> HttpResponse:
    esim = _own(request, public_id, in_full=True)
    installable = esim.is_installable
    bundles = [b for b in esim.bundles.all() if b.state != Bundle.State.AWAITING_PAYMENT]
    daily = hooks.daily_usage(esim=esim)
    # The guide for the phone reading the page, if its browser says; a chooser always.
    guide = guide_for_user_agent(request.headers.get("User-Agent", ""))
    context = {
        "esim": esim,
        "plan": esim.order.plan,
        "links": install_links(esim) if installable else None,
        # segno writes the SVG from the activation code alone: no user markup in it.
        "qr_svg": mark_safe(qr_svg(esim)) if installable else "",  # noqa: S308
        "bundles": bundles,
        "bundles_active": any(b.state == Bundle.State.ACTIVE for b in bundles),
        "balance": hooks.esim_balance(esim=esim),
        # A wholesaler's figures are as fresh as its last report (ADR 0024).
        "usage_read_at": hooks.supplier_usage_read_at(order_id=esim.order_id),
        "daily": daily,
        "usage_chart": hooks.daily_usage_svg(daily),
        "events": esim.events.all(),
        "can_suspend": esim.can_suspend,
        "can_resume": esim.can_resume,
        "can_delete": esim.can_delete,
        "can_top_up": esim.can_top_up,
        "preparing": esim.state == EsimState.PREPARING,
        "install_guide": guide,
        "other_guides": [g for g in GUIDES if g != guide],
    }
    return render(request, "esims/esim_detail.html", context)


@login_required
def esim_qr_png(request: AuthenticatedRequest, public_id: uuid.UUID) -> HttpResponse:
    esim = _own(request, public_id)
    if not esim.is_installable:
        raise Http404("This eSIM has no QR code to show.")
    response = HttpResponse(qr_png(esim), content_type="image/png")
    response["Content-Disposition"] = f'attachment; filename="esim-{esim.public_id}.png"'
    response["Cache-Control"] = "private, no-store"
    return response


def _lifecycle(request: AuthenticatedRequest, public_id: uuid.UUID, action: str) -> HttpResponse:
    esim = _own(request, public_id)
    try:
        if action == "suspend":
            lifecycle.esim_suspend(esim=esim, actor="customer")
            messages.success(request, gettext("Your eSIM is paused. Resume it whenever you like."))
        elif action == "resume":
            lifecycle.esim_resume(esim=esim, actor="customer")
            messages.success(request, gettext("Your eSIM is back on."))
        else:
            if request.POST.get("confirm") != "yes":
                messages.error(request, gettext("Tick the box to confirm the deletion."))
                return redirect("esims:detail", public_id=esim.public_id)
            lifecycle.esim_delete(esim=esim, actor="customer")
            messages.success(
                request, gettext("Your eSIM is deleted. Remove it from your phone's settings too.")
            )
    except errors.LineChangePending as pending:
        # Not a failure: the network may have acted; the outcome follows.
        messages.warning(request, pending.message)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("esims:detail", public_id=esim.public_id)


@login_required
@require_POST
def esim_suspend(request: AuthenticatedRequest, public_id: uuid.UUID) -> HttpResponse:
    return _lifecycle(request, public_id, "suspend")


@login_required
@require_POST
def esim_resume(request: AuthenticatedRequest, public_id: uuid.UUID) -> HttpResponse:
    return _lifecycle(request, public_id, "resume")


@login_required
@require_POST
def esim_delete(request: AuthenticatedRequest, public_id: uuid.UUID) -> HttpResponse:
    return _lifecycle(request, public_id, "delete")


def _topup_prices(
    request: AuthenticatedRequest, plans: list[Plan], *, chosen: str, code: str
) -> tuple[str, RateLimited | None]:
    """Each plan's ``discount`` and ``to_pay``: what the page shows and its form
    posts back. Every plan gets the best automatic promotion; the chosen one
    the code typed, if it applies (else the page says why and drops the code,
    ADR 0031). Returns the code kept and the rate limit, if hit."""
    limited: RateLimited | None = None
    for plan in plans:
        price = plan.shown_price  # type: ignore[attr-defined]
        discount = None
        if code and str(plan.public_id) == chosen:
            try:
                discount = orders.checkout_discount(
                    customer=request.user,
                    plan=plan,
                    price=price,
                    code=code,
                    client_ip=request.META.get("REMOTE_ADDR", ""),
                )
            except DomainError as exc:
                messages.error(request, exc.message)
                limited = exc if isinstance(exc, RateLimited) else None
                code = ""
        if not code or str(plan.public_id) != chosen:
            discount = orders.checkout_discount(customer=request.user, plan=plan, price=price)
        plan.discount = discount  # type: ignore[attr-defined]
        plan.to_pay = orders.price_to_pay(price=price, discount=discount)  # type: ignore[attr-defined]
    return code, limited


@login_required
@require_http_methods(["GET", "POST"])
def esim_topup(request: AuthenticatedRequest, public_id: uuid.UUID) -> HttpResponse:
    esim = _own(request, public_id)
    # The currency the prices were shown in travels with the form (ADR 0027).
    currency = request.POST.get("currency") or request_currency(request)
    try:
        plans = plans_priced(selectors.topup_plans(esim=esim), currency=currency)
    except DomainError:
        currency = request_currency(request)
        plans = plans_priced(selectors.topup_plans(esim=esim), currency=currency)
    # A promotion code is applied to the chosen plan ("Apply" shows its price
    # with it), and posted again with the order (ADR 0031).
    code = request.POST.get("promotion_code", "").strip()[:40]
    applying = "apply_code" in request.POST
    initial = billing_initial(request)
    form = CheckoutForm(
        None if applying else (request.POST or None),
        # What was typed stays in the fields while a code is applied.
        initial={**initial, **request.POST.dict()} if applying else initial,
        terms_in_force=policies.terms_version_label(),
    )
    chosen = request.POST.get("plan", "")
    plan = next((p for p in plans if str(p.public_id) == chosen), None)
    limited: RateLimited | None = None
    if applying and plan is None:
        messages.error(request, gettext("Choose a plan to add."))
    elif request.method == "POST" and not applying and form.is_valid():
        shown_total = shown_amount(request.POST.get(f"price-{chosen}"))
        if plan is None:
            messages.error(request, gettext("Choose a plan to add."))
        elif shown_total is None:
            messages.error(request, gettext("Check the price and confirm again."))
        else:
            data = form.cleaned_data
            billing = BillingDetails(
                name=data["name"],
                line1=data["line1"],
                line2=data["line2"],
                city=data["city"],
                postcode=data["postcode"],
                country=data["country"],
                phone=data["phone"],
            )
            try:
                order = topups.topup_create(
                    customer=request.user,
                    esim=esim,
                    plan=plan,
                    billing=billing,
                    consent=CheckoutConsent(
                        terms_version=data["terms_version"],
                        withdrawal_waived=data["waive_withdrawal"],
                    ),
                    currency=currency,
                    shown_total=shown_total,
                    promotion_code=code,
                    client_ip=request.META.get("REMOTE_ADDR", ""),
                )
                return HttpResponseRedirect(payments.payment_start(order=order))
            except (PromotionRefused, RateLimited) as exc:
                # The page is shown again without the code, and says why.
                messages.error(request, exc.message)
                limited = exc if isinstance(exc, RateLimited) else None
                code = ""
            except DomainError as exc:
                messages.error(request, exc.message)
    code, refused_by_limit = _topup_prices(request, plans, chosen=chosen, code=code)
    limited = limited or refused_by_limit
    if applying and code and plan is not None:
        applied = plan.discount  # type: ignore[attr-defined]
        if applied is not None and applied.code:
            messages.success(request, gettext("Code %(code)s applied.") % {"code": applied.code})
    response = render(
        request,
        "esims/topup.html",
        {
            "esim": esim,
            "plans": plans,
            "form": form,
            "chosen": chosen,
            "currency": currency,
            "promotion_code": code,
        },
        status=429 if limited else 200,
    )
    if limited:
        response["Retry-After"] = str(limited.retry_after)
    return response


@csrf_exempt  # the SM-DP+ authenticates with mutual TLS or its signature, not cookies
@require_POST
def handle_download_progress_info(request: HttpRequest) -> HttpResponse:
    """ES2+ HandleDownloadProgressInfo: 204 with an empty body when accepted (§6.3)."""
    response: HttpResponse
    try:
        notifications.progress_report_receive(body=request.body, headers=request.headers)
    except DomainError as exc:
        metrics.WEBHOOK_REJECTIONS.labels(source="smdp", reason=exc.code).inc()
        response = JsonResponse({"code": exc.code, "message": exc.message}, status=exc.status)
    else:
        response = HttpResponse(status=204)
    # §6.5.1: on every answer, refusals included.
    response["X-Admin-Protocol"] = PROTOCOL_VERSION
    return response
