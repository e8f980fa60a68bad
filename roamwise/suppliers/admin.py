from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import PlanSource, SupplierCredit


@admin.register(PlanSource)
class PlanSourceAdmin(admin.ModelAdmin):
    """Which source supplies a plan, preferred first (ADR 0020)."""

    list_display = ("plan", "rank", "profile_type", "package")
    list_filter = ("package__supplier",)
    raw_id_fields = ("plan", "package")


@admin.register(SupplierCredit)
class SupplierCreditAdmin(admin.ModelAdmin):
    """Our prepaid credit at each wholesaler, as last read (ADR 0024)."""

    list_display = ("supplier", "amount", "currency", "read_at", "low_alerted_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
