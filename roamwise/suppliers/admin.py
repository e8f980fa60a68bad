from __future__ import annotations

from django.contrib import admin

from .models import PlanSource


@admin.register(PlanSource)
class PlanSourceAdmin(admin.ModelAdmin):
    """Which source supplies a plan, preferred first (ADR 0020)."""

    list_display = ("plan", "rank", "profile_type", "package")
    list_filter = ("package__supplier",)
    raw_id_fields = ("plan", "package")
