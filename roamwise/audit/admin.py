"""The back office's side of the audit trail.

``PersonalDataAdmin`` is the base of every admin page for a model declared in
the data map: opening a customer's record asks for a reason first, and the
view, each change and each deletion is written to the hash-chained log in the
same transaction. Contact details stay masked for staff without the
``accounts.view_contact_details`` permission unless the reason asks for them.
"""

from __future__ import annotations

import time
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext

from roamwise.datamap.selectors import declaration_for, subject_of

from .models import AccessEvent
from .selectors import verify_chain
from .services import Access, access_record

GRANT_SECONDS = 15 * 60
CONTACT_FIELDS = {"email", "phone", "phone_index", "parent_email"}


def _grant_key(obj: models.Model) -> str:
    return f"audit-grant:{obj._meta.label_lower}:{obj.pk}"


def current_grant(request: HttpRequest, obj: models.Model) -> dict | None:
    grant = request.session.get(_grant_key(obj))
    if grant and time.time() - grant["at"] < GRANT_SECONDS:
        return grant
    return None


def can_see_contact(request: HttpRequest, obj: models.Model) -> bool:
    if request.user.has_perm("accounts.view_contact_details"):
        return True
    grant = current_grant(request, obj)
    return bool(grant and grant.get("contact"))


class PersonalDataAdmin(admin.ModelAdmin):
    """Reason first, then the record; every access written to the audit log."""

    # Personal fields of related rows shown on the same page (inlines).
    inline_personal_fields: dict[str, tuple[str, ...]] = {}

    def personal_fields(self, obj: models.Model) -> list[str]:
        declaration = declaration_for(obj)
        names = [f.name for f in declaration.fields] if declaration else []
        for prefix, fields in self.inline_personal_fields.items():
            names.extend(f"{prefix}.{name}" for name in fields)
        return names

    def _record(
        self, request: HttpRequest, obj: models.Model, action: str, fields: list[str], reason: str
    ) -> None:
        subject = subject_of(obj)
        if subject is None:
            return
        access_record(
            Access(
                actor=request.user,  # type: ignore[arg-type]
                subject=subject,
                obj=obj,
                fields=tuple(fields),
                action=action,
                reason=reason,
                request_id=getattr(request, "request_id", ""),
            )
        )

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        if obj is None or subject_of(obj) is None:
            return super().change_view(request, object_id, form_url, extra_context)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        if request.method == "POST" and "_audit_reason" in request.POST:
            return self._grant_access(request, obj)
        if current_grant(request, obj) is None:
            return self._ask_reason(request, obj)
        return super().change_view(request, object_id, form_url, extra_context)

    def _ask_reason(
        self, request: HttpRequest, obj: models.Model, error: str = "", status: int = 200
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "object": obj,
            "error": error,
            "offer_contact": not request.user.has_perm("accounts.view_contact_details"),
            "title": "Why are you opening this record?",
        }
        return TemplateResponse(request, "audit/reason_form.html", context, status=status)

    def _grant_access(self, request: HttpRequest, obj: models.Model) -> HttpResponse:
        reason = request.POST.get("_audit_reason", "").strip()
        if len(reason) < 5:
            return self._ask_reason(
                request, obj, "Give a reason of a few words (for example a ticket number).", 400
            )
        contact = request.POST.get("_audit_contact") == "1" or request.user.has_perm(
            "accounts.view_contact_details"
        )
        fields = [
            f
            for f in self.personal_fields(obj)
            if contact or f.rsplit(".", 1)[-1] not in CONTACT_FIELDS
        ]
        with transaction.atomic():
            self._record(request, obj, AccessEvent.Action.VIEW, fields, reason)
        request.session[_grant_key(obj)] = {"reason": reason, "at": time.time(), "contact": contact}
        return HttpResponseRedirect(request.path)

    def save_model(self, request: HttpRequest, obj: models.Model, form: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            grant = current_grant(request, obj) or {}
            personal = {f.rsplit(".", 1)[-1] for f in self.personal_fields(obj)}
            changed = [f for f in form.changed_data if f in personal]
            if change and changed:
                self._record(
                    request,
                    obj,
                    AccessEvent.Action.CHANGE,
                    changed,
                    grant.get("reason", "changed in the back office"),
                )
            elif not change:
                self._record(
                    request,
                    obj,
                    AccessEvent.Action.CREATE,
                    self.personal_fields(obj),
                    "created in the back office",
                )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_formset(request, form, formset, change)
            grant = current_grant(request, form.instance) or {}
            for inline_form in formset.forms:
                instance = inline_form.instance
                declaration = declaration_for(instance)
                if declaration is None or instance.pk is None:
                    continue
                changed = [f for f in inline_form.changed_data if f in declaration.field_names]
                if changed:
                    self._record(
                        request,
                        instance,
                        AccessEvent.Action.CHANGE,
                        changed,
                        grant.get("reason", "changed in the back office"),
                    )

    def record_deletion(self, request: HttpRequest, obj: models.Model) -> None:
        grant = current_grant(request, obj) or {}
        self._record(
            request,
            obj,
            AccessEvent.Action.DELETE,
            self.personal_fields(obj),
            grant.get("reason", "deleted in the back office"),
        )

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        with transaction.atomic():
            self.record_deletion(request, obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        # The bulk "delete selected" action: one event per deleted record.
        with transaction.atomic():
            for obj in queryset:
                self.record_deletion(request, obj)
            super().delete_queryset(request, queryset)


@admin.register(AccessEvent)
class AccessEventAdmin(admin.ModelAdmin):
    list_display = (
        "occurred_at",
        "actor_role",
        "actor_id",
        "action",
        "object_type",
        "subject_id",
        "reason",
    )
    list_filter = ("action", "actor_role", "object_type")
    search_fields = ("subject_id", "request_id")
    date_hierarchy = "occurred_at"
    actions = ["verify"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Verify the whole chain", permissions=["verify"])
    def verify(self, request: HttpRequest, queryset: Any) -> None:
        problems = list(verify_chain())
        if problems:
            for problem in problems:
                messages.error(request, problem.problem)
        else:
            messages.success(request, gettext("The audit chain is intact."))

    def has_verify_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("audit.verify_chain")
