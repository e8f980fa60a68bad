from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from roamwise.audit.admin import PersonalDataAdmin
from roamwise.core.errors import DomainError

from . import hooks
from .models import Bundle, Es2Attempt, Esim, EsimEvent, PartnerCall
from .services import lifecycle, provisioning


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EsimEventInline(ReadOnlyInline):
    model = EsimEvent
    fields = readonly_fields = ("created_at", "from_status", "to_status", "actor", "note")


class Es2AttemptInline(ReadOnlyInline):
    model = Es2Attempt
    fields = readonly_fields = (
        "started_at",
        "function",
        "call_id",
        "outcome",
        "status_code",
        "message",
        "retryable",
        "finished_at",
    )


class PartnerCallInline(ReadOnlyInline):
    model = PartnerCall
    fields = readonly_fields = (
        "created_at",
        "action",
        "actor",
        "idempotency_key",
        "outcome",
        "tries",
        "message",
        "finished_at",
    )


class BundleInline(ReadOnlyInline):
    model = Bundle
    fields = readonly_fields = ("plan", "state", "network_added_at", "last_error", "expires_at")


@admin.register(Esim)
class EsimAdmin(PersonalDataAdmin):
    list_display = ("public_id", "state", "provision_step", "provision_failures", "created_at")
    list_filter = ("state", "provision_step")
    search_fields = ("public_id",)
    # The matching ID is the customer's credential: never shown in the back office.
    exclude = ("matching_id", "iccid_index")
    readonly_fields = (
        "public_id",
        "customer",
        "order",
        "profile_type",
        "state",
        "iccid",
        "eid",
        "smdp_address",
        "provision_step",
        "provision_failures",
        "next_attempt_at",
        "lease_until",
        "failure_reason",
        "ready_at",
        "installed_at",
        "supplier",
    )
    inlines = [BundleInline, EsimEventInline, Es2AttemptInline, PartnerCallInline]
    actions = ["retry_provisioning", "suspend", "resume", "delete_esims"]

    @admin.display(description=_("Supplier"))
    def supplier(self, esim: Esim) -> str:
        return hooks.order_supplier(order_id=esim.order_id) or "-"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # "Delete the eSIM" is a lifecycle action, not a row deletion

    def _each(
        self, request: HttpRequest, queryset: Any, action: Callable[..., object], done: str
    ) -> None:
        actor = f"staff:{request.user.pk}"
        count = 0
        for esim in queryset:
            try:
                action(esim=esim, actor=actor)
                count += 1
            except DomainError as exc:
                messages.error(
                    request,
                    gettext("%(public_id)s: %(message)s")
                    % {"public_id": esim.public_id, "message": exc.message},
                )
        if count:
            messages.success(
                request, gettext("%(done)s: %(count)s eSIM(s).") % {"done": done, "count": count}
            )

    @admin.action(description="Retry provisioning now", permissions=["change"])
    def retry_provisioning(self, request: HttpRequest, queryset: Any) -> None:
        self._each(request, queryset, provisioning.esim_retry_now, "Provisioning retried")

    @admin.action(description="Suspend service", permissions=["change"])
    def suspend(self, request: HttpRequest, queryset: Any) -> None:
        self._each(request, queryset, lifecycle.esim_suspend, "Suspended")

    @admin.action(description="Resume service", permissions=["change"])
    def resume(self, request: HttpRequest, queryset: Any) -> None:
        self._each(request, queryset, lifecycle.esim_resume, "Resumed")

    @admin.action(description="Delete the eSIM (cancel or terminate)", permissions=["change"])
    def delete_esims(self, request: HttpRequest, queryset: Any) -> None:
        self._each(request, queryset, lifecycle.esim_delete, "Deleted")
