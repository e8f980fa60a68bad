from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from roamwise.audit.admin import PersonalDataAdmin
from roamwise.core.errors import DomainError

from . import hooks
from .forms import RefundForm
from .models import Invoice, Order, OrderEvent, Refund


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    can_delete = False
    readonly_fields = ("created_at", "from_status", "to_status", "actor", "note")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(PersonalDataAdmin):
    list_display = (
        "public_id",
        "plan",
        "total",
        "currency",
        "status",
        "supplier",
        "margin",
        "legal_hold",
        "created_at",
    )
    list_filter = ("status", "legal_hold", "kind")
    search_fields = ("public_id",)
    readonly_fields = (
        "public_id",
        "customer",
        "plan",
        "kind",
        "status",
        "currency",
        "net_amount",
        "tax_rate",
        "tax_amount",
        "total",
        "refunded_amount",
        "billing_name",
        "billing_address",
        "billing_country",
        "contact_phone",
        "legal_hold",
        "paid_at",
        "idempotency_key",
        "supplied_by",
        "cost",
        "margin",
    )
    exclude = ("supplier", "cost_amount", "cost_currency", "margin_amount")
    inlines = [OrderEventInline]

    @admin.display(description=_("Supplier"))
    def supplied_by(self, order: Order) -> str:
        return hooks.order_supplier(order_id=order.pk) or order.supplier or "-"

    @admin.display(description=_("Cost"))
    def cost(self, order: Order) -> Any:
        """What the supplier charged, in its currency, at the time of sale (ADR 0025)."""
        if order.cost_amount is None:
            return _("not known")
        return f"{order.cost_amount.normalize():f} {order.cost_currency}"

    @admin.display(description=_("Margin before VAT"))
    def margin(self, order: Order) -> Any:
        if order.margin_amount is None:
            return _("not known") if order.cost_amount is None else _("other currency")
        return f"{order.margin_amount.quantize(Decimal('0.01'))} {order.currency}"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="Refund")
    def refund_link(self, order: Order) -> str:
        url = reverse("admin:orders_order_refund", args=[order.pk])
        return format_html('<a class="button" href="{}">Refund this order</a>', url)

    def get_urls(self) -> list:
        return [
            path(
                "<int:order_id>/refund/",
                self.admin_site.admin_view(self.refund_view),
                name="orders_order_refund",
            ),
            *super().get_urls(),
        ]

    def refund_view(self, request: HttpRequest, order_id: int) -> HttpResponse:
        """Staff refund, full or partial, through the order's processor (ORD-05)."""
        if not request.user.has_perm("orders.add_refund"):
            return HttpResponse(status=403)
        order = get_object_or_404(Order, pk=order_id)
        requested = order.refunds.filter(status=Refund.Status.REQUESTED).first()
        form = RefundForm(
            request.POST or None,
            initial={
                "amount": order.refundable_amount,
                "reason": requested.reason if requested else "",
            },
        )
        if request.method == "POST" and form.is_valid():
            try:
                hooks.refund_issue(
                    order=order,
                    amount=Decimal(form.cleaned_data["amount"]),
                    reason=form.cleaned_data["reason"],
                    actor=f"staff:{request.user.pk}",
                    refund=requested,
                )
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, gettext("Refund sent to the payment processor."))
                return HttpResponseRedirect(reverse("admin:orders_order_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "order": order,
            "form": form,
            "title": "Refund an order",
        }
        return TemplateResponse(request, "orders/admin_refund.html", context)


@admin.register(Invoice)
class InvoiceAdmin(PersonalDataAdmin):
    list_display = ("number", "issued_at", "total", "currency")
    search_fields = ("number",)
    readonly_fields = [f.name for f in Invoice._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Refund)
class RefundAdmin(PersonalDataAdmin):
    actions = ["decline"]

    @admin.action(description="Decline the selected refund requests", permissions=["change"])
    def decline(self, request: HttpRequest, queryset: Any) -> None:
        declined = queryset.filter(status=Refund.Status.REQUESTED).update(
            status=Refund.Status.DECLINED
        )
        messages.info(
            request, gettext("Declined %(declined)s refund request(s).") % {"declined": declined}
        )

    list_display = ("order", "amount", "currency", "status", "requested_by", "created_at")
    list_filter = ("status",)
    readonly_fields = (
        "order",
        "amount",
        "currency",
        "status",
        "reason",
        "requested_by",
        "processor_ref",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
