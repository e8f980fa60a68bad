from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import IngestBatch, Partner


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "iccid_prefixes",
        "requests_per_minute",
        "is_active",
        "key_hint",
    )
    readonly_fields = ("key_hint",)
    fields = ("code", "name", "iccid_prefixes", "requests_per_minute", "is_active", "key_hint")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A partner's key is made and shown once by manage.py usage_partner_create.
        return False


@admin.register(IngestBatch)
class IngestBatchAdmin(admin.ModelAdmin):
    """Monitoring of what partners send (SIM-05): counts only, never record content."""

    list_display = (
        "started_at",
        "partner",
        "source",
        "file_name",
        "accepted",
        "duplicates",
        "rejected",
        "bytes_total",
        "finished_at",
    )
    list_filter = ("partner", "source")
    date_hierarchy = "started_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
