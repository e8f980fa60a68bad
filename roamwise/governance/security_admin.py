"""Back office of the security organisation (SEC-08): roles and holders, staff
training, risk assessments. Every save and deletion goes through
``security.py``, which writes it to the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from roamwise.audit.admin import PersonalDataAdmin, current_grant

from . import security
from .models import RiskAssessment, SecurityRole, StaffTraining


def _reason(request: HttpRequest, obj: Any) -> str:
    return (current_grant(request, obj) or {}).get("reason", "")


class SecurityRecordAdmin(PersonalDataAdmin):
    """Opened with a reason like any record about a person (SEC-04); every change
    and deletion, of any field, goes to the audit trail through security.py."""

    readonly_fields = ("created_at", "updated_at", "audit_trail")

    @admin.display(description="Audit trail")
    def audit_trail(self, obj: Any) -> SafeString | str:
        if obj is None or obj.pk is None:
            return ""
        return format_html_join(
            "",
            "<p>{} · {} · {} ({}): {}</p>",
            (
                (
                    f"{event.occurred_at:%Y-%m-%d %H:%M}",
                    event.get_action_display(),
                    event.actor_id,
                    event.actor_role,
                    ", ".join(event.fields),
                )
                for event in security.security_record_history(record=obj)
            ),
        )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        security.security_record_save(
            actor=request.user,  # type: ignore[arg-type]
            record=obj,
            changed=form.changed_data,
            reason=_reason(request, obj) if change else "",
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        security.security_record_delete(
            actor=request.user,  # type: ignore[arg-type]
            record=obj,
            reason=_reason(request, obj),
        )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        # The bulk "delete selected" action: one audit row per record.
        for obj in queryset:
            security.security_record_delete(actor=request.user, record=obj)  # type: ignore[arg-type]


@admin.register(SecurityRole)
class SecurityRoleAdmin(SecurityRecordAdmin):
    list_display = ("title", "holder", "since", "updated_at")
    raw_id_fields = ("holder",)
    fields = ("title", "responsibilities", "holder", "since", *SecurityRecordAdmin.readonly_fields)


@admin.register(StaffTraining)
class StaffTrainingAdmin(SecurityRecordAdmin):
    list_display = ("course", "staff", "completed_on", "next_due_on")
    list_filter = ("course",)
    raw_id_fields = ("staff",)
    fields = (
        "staff",
        "course",
        "completed_on",
        "next_due_on",
        *SecurityRecordAdmin.readonly_fields,
    )


@admin.register(RiskAssessment)
class RiskAssessmentAdmin(SecurityRecordAdmin):
    list_display = ("processing_activity", "risk_level", "owner", "reviewed_on", "next_review_on")
    list_filter = ("risk_level",)
    raw_id_fields = ("owner",)
    fields = (
        "processing_activity",
        "risk_level",
        "measures",
        "owner",
        "reviewed_on",
        "next_review_on",
        *SecurityRecordAdmin.readonly_fields,
    )
