from __future__ import annotations

import csv
from collections.abc import Iterator
from decimal import Decimal
from functools import partial
from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from roamwise.audit.admin import PersonalDataAdmin
from roamwise.audit.models import AccessEvent
from roamwise.audit.services import Access, access_record_many
from roamwise.core.errors import DomainError

from . import hooks
from .forms import RefundForm
from .models import Invoice, Order, OrderEvent, Refund
from .tasks import resend_order_receipt

# The order list's CSV: no name, address or phone, only what books need.
EXPORT_COLUMNS = (
    ("public_id", _("Order")),
    ("created_at", _("Created")),
    ("paid_at", _("Paid")),
    ("status", _("Status")),
    ("kind", _("Kind")),
    ("plan__name", _("Plan")),
    ("billing_country", _("Billing country")),
    ("currency", _("Currency")),
    ("net_amount", _("Net")),
    ("tax_rate", _("VAT rate")),
    ("tax_amount", _("VAT")),
    ("discount_amount", _("Discount")),
    ("total", _("Total")),
    ("refunded_amount", _("Refunded")),
)
EXPORT_CHUNK = 1000


class _Echo:
    """A file-like object that hands back what is written, for a streamed CSV."""

    def write(self, value: str) -> str:
        return value


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
        "price_before_discount",
        "discount_amount",
        "promotion",
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
    exclude = ("supplier", "cost_amount", "cost_currency", "margin_amount", "promotion_use")
    inlines = [OrderEventInline]
    actions = ["resend_receipt", "refund", "export_csv"]

    @admin.display(description=_("Promotion"))
    def promotion(self, order: Order) -> str:
        return str(order.promotion) if order.promotion is not None else "-"

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

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # financial records stay; retention and erasure have their own rules

    # --- List actions: resend receipt, refund, export ----------------------------------

    @admin.action(description=_("Resend the receipt"), permissions=["change"])
    def resend_receipt(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        paid = list(queryset.filter(invoice__isnull=False).values_list("pk", flat=True))
        for order_id in paid:
            transaction.on_commit(partial(resend_order_receipt, order_id))
        messages.info(
            request,
            ngettext(
                "The receipt of %(count)d order will be sent again.",
                "The receipts of %(count)d orders will be sent again.",
                len(paid),
            )
            % {"count": len(paid)},
        )

    @admin.action(description=_("Refund…"), permissions=["issue_refund"])
    def refund(self, request: HttpRequest, queryset: QuerySet[Order]) -> HttpResponse | None:
        # One at a time, through the refund form: the amount and reason are the staff's.
        if queryset.count() != 1:
            messages.error(request, gettext("Choose exactly one order to refund."))
            return None
        return HttpResponseRedirect(reverse("admin:orders_order_refund", args=[queryset[0].pk]))

    def has_issue_refund_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("orders.issue_refund")

    @admin.action(description=_("Export as CSV"), permissions=["export"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Order]) -> StreamingHttpResponse:
        """Streamed row by row; the export is on the audit trail, one event per order."""
        orders = queryset.select_related("customer").only("pk", "customer__public_id")
        with transaction.atomic():
            batch: list[Access] = []
            for order in orders.iterator(chunk_size=EXPORT_CHUNK):
                batch.append(
                    Access(
                        actor=request.user,  # type: ignore[arg-type]
                        subject=order.customer,
                        obj=order,
                        fields=("billing_country", "created_at", "plan", "status", "total"),
                        action=AccessEvent.Action.EXPORT,
                        reason="orders exported as CSV in the back office",
                        request_id=getattr(request, "request_id", ""),
                    )
                )
                if len(batch) == EXPORT_CHUNK:
                    access_record_many(batch)
                    batch = []
            if batch:
                access_record_many(batch)
        response = StreamingHttpResponse(
            self._csv_rows(queryset), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="orders.csv"'
        return response

    def _csv_rows(self, queryset: QuerySet[Order]) -> Iterator[str]:
        writer = csv.writer(_Echo())
        yield writer.writerow([str(title) for _name, title in EXPORT_COLUMNS])
        names = [name for name, _title in EXPORT_COLUMNS]
        for row in queryset.values_list(*names).iterator(chunk_size=EXPORT_CHUNK):
            yield writer.writerow(row)

    def has_export_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("orders.export_order")

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
        if not request.user.has_perm("orders.issue_refund"):
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

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

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
