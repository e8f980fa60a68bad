from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from . import services
from .models import Destination, Network, Plan


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
    )
    list_filter = ("is_active", "destination__kind", "currency")
    search_fields = ("name", "destination__name")
    list_select_related = ("destination",)
    autocomplete_fields = ("destination",)
    filter_horizontal = ("networks",)
    readonly_fields = ("public_id",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Changing what a plan sells for is its own permission (catalog.change_price).
        fields = tuple(super().get_readonly_fields(request, obj))
        if obj is not None and not request.user.has_perm("catalog.change_price"):
            fields += ("price", "currency")
        return fields
