from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import hooks, services
from .models import CurrencyRate, Destination, Network, Plan, PlanPrice


class CatalogAdmin(admin.ModelAdmin):
    """Every change made here gives the catalogue a new version, so that the
    cached pages and API answers built from it are not served again (ADR 0016)."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        services.catalog_changed()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        services.catalog_changed()  # many-to-many: a plan's networks, a region's countries

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        super().delete_model(request, obj)
        services.catalog_changed()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        super().delete_queryset(request, queryset)
        services.catalog_changed()


@admin.register(Destination)
class DestinationAdmin(CatalogAdmin):
    list_display = ("name", "code", "kind", "popularity")
    list_filter = ("kind",)
    search_fields = ("name", "code", "alpha3", "aliases")
    filter_horizontal = ("countries",)


@admin.register(Network)
class NetworkAdmin(CatalogAdmin):
    list_display = ("name", "mcc_mnc", "country")
    search_fields = ("name", "mcc_mnc", "country__name")
    list_select_related = ("country",)


class PlanPriceInline(admin.TabularInline):
    """A price set for one currency beats the rate table (ADR 0027)."""

    model = PlanPrice
    extra = 0
    fields = ("currency", "amount")


@admin.register(CurrencyRate)
class CurrencyRateAdmin(CatalogAdmin):
    """The rate table: prices in currencies without a set price follow it."""

    list_display = ("currency", "rate", "rounding", "updated_at")
    list_editable = ("rate", "rounding")
    search_fields = ("currency",)


@admin.register(Plan)
class PlanAdmin(CatalogAdmin):
    list_display = (
        "name",
        "destination",
        "data_mb",
        "validity_days",
        "price",
        "currency",
        "is_active",
        "sell_below_cost",
    )
    list_filter = ("is_active", "destination__kind", "currency")
    search_fields = ("name", "destination__name")
    list_select_related = ("destination",)
    autocomplete_fields = ("destination",)
    filter_horizontal = ("networks",)
    readonly_fields = ("public_id", "source_costs")
    inlines = (PlanPriceInline,)
    actions = ("activate", "deactivate")

    @admin.action(description=_("Put on sale"), permissions=["change"])
    def activate(self, request: HttpRequest, queryset: QuerySet[Plan]) -> None:
        count = services.plans_set_active(
            plan_ids=queryset.values_list("pk", flat=True), active=True
        )
        messages.success(
            request,
            ngettext("%(count)d plan put on sale.", "%(count)d plans put on sale.", count)
            % {"count": count},
        )

    @admin.action(description=_("Take off sale"), permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Plan]) -> None:
        count = services.plans_set_active(
            plan_ids=queryset.values_list("pk", flat=True), active=False
        )
        messages.success(
            request,
            ngettext("%(count)d plan taken off sale.", "%(count)d plans taken off sale.", count)
            % {"count": count},
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Changing what a plan sells for is its own permission (catalog.change_price).
        fields = tuple(super().get_readonly_fields(request, obj))
        if obj is not None and not request.user.has_perm("catalog.change_price"):
            fields += ("price", "currency")
        return fields

    @admin.display(description=_("Cost at each source"))
    def source_costs(self, plan: Plan) -> str:
        """What each of the plan's sources charges, preferred first (ADR 0025)."""
        if plan.pk is None:
            return "-"
        return "; ".join(
            f"{source.supplier}: "
            + (f"{source.cost.amount.normalize():f} {source.cost.currency}" if source.cost else "?")
            for source in hooks.plan_costs(plan_id=plan.pk)
        )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # A sale below cost is allowed only through its service, which writes
        # the decision and its reason to the audit trail.
        override = {"sell_below_cost", "below_cost_reason"} & set(form.changed_data)
        allowed, reason = obj.sell_below_cost, obj.below_cost_reason
        if override:
            before = Plan.objects.filter(pk=obj.pk).first() if change else None
            obj.sell_below_cost = before.sell_below_cost if before else False
            obj.below_cost_reason = before.below_cost_reason if before else ""
        super().save_model(request, obj, form, change)
        if override:
            services.plan_below_cost_set(
                plan=obj,
                allowed=allowed,
                reason=reason,
                actor=request.user,  # type: ignore[arg-type]  # staff only: signed in
            )
