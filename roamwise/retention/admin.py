"""Back office: legal holds (listed, placed, released by staff with the
permission) and the read-only record of every retention run (RET-06, RET-07)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext

from roamwise.audit.admin import PersonalDataAdmin
from roamwise.datamap.registry import data_map

from . import services
from .errors import HoldInvalid
from .models import LegalHold, RetentionRun, RetentionRunRule


def _model_choices() -> list[tuple[str, str]]:
    return [("", "Every record of the customer")] + [
        (declaration.model.lower(), declaration.model) for declaration in data_map
    ]


class LegalHoldForm(forms.ModelForm):
    model = forms.ChoiceField(choices=_model_choices, required=False, label="Records held")

    class Meta:
        model = LegalHold
        fields = ["subject_id", "kind", "reason", "model", "object_id", "reference"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            services.legal_hold_check(
                kind=data.get("kind", ""),
                reason=data.get("reason", ""),
                model=data.get("model", ""),
                object_id=data.get("object_id", ""),
            )
        except HoldInvalid as error:
            raise forms.ValidationError(error.message) from error
        return data


class ActiveFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("active", "Active"), ("released", "Released")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "active":
            return queryset.filter(released_at__isnull=True)
        if self.value() == "released":
            return queryset.filter(released_at__isnull=False)
        return queryset


@admin.register(LegalHold)
class LegalHoldAdmin(PersonalDataAdmin):
    form = LegalHoldForm
    list_display = (
        "placed_at",
        "kind",
        "subject_id",
        "model",
        "object_id",
        "reference",
        "is_active",
        "released_at",
    )
    list_filter = (ActiveFilter, "kind")
    search_fields = ("subject_id", "reference")
    actions = ["release"]

    @admin.display(boolean=True, description="active")
    def is_active(self, obj: LegalHold) -> bool:
        return obj.active

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        return [f.name for f in LegalHold._meta.fields]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A hold is placed and released, never edited: its record stays as it was.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # Placed through the service, never saved as edited: a hold is not changed.
        hold = services.legal_hold_place(
            subject_id=obj.subject_id,
            kind=obj.kind,
            reason=obj.reason,
            model=obj.model,
            object_id=obj.object_id,
            reference=obj.reference,
            placed_by=request.user,  # type: ignore[arg-type]
        )
        obj.pk = hold.pk
        obj.placed_at = hold.placed_at
        obj.placed_by = hold.placed_by

    @admin.action(description="Release the selected holds", permissions=["release"])
    def release(self, request: HttpRequest, queryset: QuerySet[LegalHold]) -> None:
        released = 0
        for hold in queryset.filter(released_at__isnull=True):
            services.legal_hold_release(hold=hold, released_by=request.user)  # type: ignore[arg-type]
            released += 1
        messages.success(
            request,
            gettext("Released %(released)s hold(s); the next sweep applies the rules.")
            % {"released": released},
        )

    def has_release_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("retention.release_legalhold")


class RetentionRunRuleInline(admin.TabularInline):
    model = RetentionRunRule
    fields = (
        "model",
        "action",
        "period_days",
        "cutoff",
        "deleted",
        "anonymised",
        "held",
        "failed",
        "error",
        "started_at",
        "finished_at",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RetentionRun)
class RetentionRunAdmin(admin.ModelAdmin):
    list_display = ("started_at", "finished_at", "trigger", "dry_run", "status", "selection")
    list_filter = ("status", "dry_run", "trigger")
    readonly_fields = [f.name for f in RetentionRun._meta.fields]
    inlines = [RetentionRunRuleInline]
    date_hierarchy = "started_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
