"""The outbox viewer: every email with its delivery state. Content (address,
subject, bodies) is there only until the email is sent; opening one asks for
a reason like any personal record."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from roamwise.audit.admin import PersonalDataAdmin

from . import services
from .models import OutboundEmail


@admin.register(OutboundEmail)
class OutboundEmailAdmin(PersonalDataAdmin):
    list_display = (
        "created_at",
        "kind",
        "template",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "attachment_count",
        "size_bytes",
    )
    list_filter = ("status", "kind")
    date_hierarchy = "created_at"
    search_fields = ("public_id", "message_id")
    actions = ["retry"]
    fields = (
        "public_id",
        "kind",
        "template",
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "sent_at",
        "message_id",
        "size_bytes",
        "attachment_count",
        "recipient",
        "subject_line",
        "text_body",
        "html_body",
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Send the selected failed emails again", permissions=["view"])
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboundEmail]) -> None:
        count = sum(
            services.email_retry(email_id=pk) for pk in queryset.values_list("pk", flat=True)
        )
        messages.success(request, f"{count} email(s) queued again.")
