from __future__ import annotations

from django.contrib import admin

from .models import Destination, Network, Plan


@admin.register(Destination)
class DestinationAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "popularity")
    list_filter = ("kind",)
    search_fields = ("name", "code", "alpha3", "aliases")
    filter_horizontal = ("countries",)


@admin.register(Network)
class NetworkAdmin(admin.ModelAdmin):
    list_display = ("name", "mcc_mnc", "country")
    search_fields = ("name", "mcc_mnc", "country__name")
    list_select_related = ("country",)


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
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
