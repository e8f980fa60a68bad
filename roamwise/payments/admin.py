from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from roamwise.audit.admin import PersonalDataAdmin

from .models import Payment, WebhookEvent


@admin.register(Payment)
class PaymentAdmin(PersonalDataAdmin):
    list_display = ("processor", "processor_ref", "status", "amount", "currency", "created_at")
    list_filter = ("processor", "status")
    readonly_fields = [f.name for f in Payment._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a financial record


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ("processor", "event_type", "event_id", "outcome", "received_at")
    list_filter = ("processor", "event_type", "outcome")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
