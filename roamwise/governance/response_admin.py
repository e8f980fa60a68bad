"""The back office for legal requests (SHR-05) and breach incidents (SEC-06).

Each has a list (the Django admin's), a form to log a new one, and a page to
work it: the legal request's assessment and decision, the incident's
affected customers, 72-hour countdown, regulator notice and customer notice.
Pages parse input and call one service; the services decide.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext

from roamwise.accounts.models import User
from roamwise.audit.admin import PersonalDataAdmin
from roamwise.core.errors import DomainError
from roamwise.datamap.vocabulary import CATEGORIES

from . import incidents, legal_requests
from .models import (
    INCIDENT_TRANSITIONS,
    Incident,
    IncidentStatus,
    LegalRequest,
    LegalRequestStatus,
)
from .response_forms import (
    AssessmentForm,
    ConfidentialityForm,
    DisclosureForm,
    IncidentForm,
    LegalRequestForm,
    NoticeForm,
    RefusalForm,
)
from .transfer import jsonable


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _labels(codes: list[str]) -> list[str]:
    return [CATEGORIES.get(code, code) for code in codes]


@admin.register(LegalRequest)
class LegalRequestAdmin(PersonalDataAdmin):
    """The request page shows customers by public id only; reading their data
    (the package for the authority) writes one audit row per customer."""

    list_display = ("reference", "authority", "kind", "status", "received_at", "decided_at")
    list_filter = ("status", "kind")
    search_fields = ("authority", "authority_reference")
    date_hierarchy = "received_at"

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the log is the accountability record (SHR-05)

    def get_urls(self) -> list:
        return [
            path(
                "<int:pk>/package/",
                self.admin_site.admin_view(self.package_view),
                name="governance_legalrequest_package",
            ),
            *super().get_urls(),
        ]

    def _page(
        self, request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
    ) -> HttpResponse:
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, **context}
        return TemplateResponse(request, template, context, status=status)

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = LegalRequestForm(request.POST or None, initial={"received_at": timezone.now()})
        if request.method == "POST" and form.is_valid():
            try:
                created = legal_requests.legal_request_create(
                    actor=_actor(request), **form.cleaned_data
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    gettext("Legal request %(reference)s logged.")
                    % {"reference": created.reference},
                )
                return HttpResponseRedirect(
                    reverse("admin:governance_legalrequest_change", args=[created.pk])
                )
        status = 400 if request.method == "POST" else 200
        return self._page(
            request,
            "governance/admin/legal_request_add.html",
            {"form": form, "title": "Log a legal request"},
            status,
        )

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        user = request.user
        can_assess = user.has_perm("governance.change_legalrequest")
        can_decide = user.has_perm("governance.decide_legalrequest")
        assess = AssessmentForm(prefix="assess")
        disclose = DisclosureForm(prefix="disclose", initial={"place_hold": True})
        refuse = RefusalForm(prefix="refuse")
        confidentiality = ConfidentialityForm(
            prefix="confidential",
            initial={
                "confidential_until": obj.confidential_until,
                "confidentiality_basis": obj.confidentiality_basis,
            },
        )
        status = 200
        if request.method == "POST":
            action = request.POST.get("action")
            try:
                if action == "assess":
                    if not can_assess:
                        raise PermissionDenied
                    assess = AssessmentForm(request.POST, prefix="assess")
                    if assess.is_valid():
                        data = assess.cleaned_data
                        legal_requests.legal_request_assess(
                            request=obj,
                            actor=_actor(request),
                            is_valid=data["valid"] == "yes",
                            is_proportionate=data["proportionate"] == "yes",
                            is_challenged=data["challenged"],
                            assessment=data["assessment"],
                        )
                        messages.success(request, gettext("Assessment recorded."))
                        return HttpResponseRedirect(request.path)
                elif action == "disclose":
                    if not can_decide:
                        raise PermissionDenied
                    disclose = DisclosureForm(request.POST, prefix="disclose")
                    if disclose.is_valid():
                        legal_requests.legal_request_disclose(
                            request=obj, actor=_actor(request), **disclose.cleaned_data
                        )
                        messages.success(request, gettext("Disclosure recorded."))
                        return HttpResponseRedirect(request.path)
                elif action == "refuse":
                    if not can_decide:
                        raise PermissionDenied
                    refuse = RefusalForm(request.POST, prefix="refuse")
                    if refuse.is_valid():
                        legal_requests.legal_request_refuse(
                            request=obj, actor=_actor(request), **refuse.cleaned_data
                        )
                        messages.success(request, gettext("Refusal recorded."))
                        return HttpResponseRedirect(request.path)
                elif action == "confidentiality":
                    if not can_assess:
                        raise PermissionDenied
                    confidentiality = ConfidentialityForm(request.POST, prefix="confidential")
                    if confidentiality.is_valid():
                        data = confidentiality.cleaned_data
                        legal_requests.legal_request_confidentiality_set(
                            request=obj,
                            actor=_actor(request),
                            until=data["confidential_until"],
                            basis=data["confidentiality_basis"],
                        )
                        messages.success(request, gettext("Confidentiality recorded."))
                        return HttpResponseRedirect(request.path)
                else:
                    messages.error(request, gettext("Unknown action."))
            except DomainError as exc:
                messages.error(request, exc.message)
            status = 400
        context = {
            "title": f"Legal request {obj.reference}",
            "legal_request": obj,
            "events": obj.events.select_related("actor"),
            "subject_ids": legal_requests.legal_request_subject_ids(request=obj),
            "holds": legal_requests.legal_request_holds(request=obj),
            "disclosed_labels": _labels(obj.disclosed_categories),
            "can_assess": can_assess and obj.status == LegalRequestStatus.RECEIVED,
            "can_decide": can_decide and obj.status == LegalRequestStatus.ASSESSED,
            "can_disclose": obj.is_valid is True,
            "can_download": can_decide and obj.status == LegalRequestStatus.DISCLOSED,
            "assess_form": assess,
            "disclose_form": disclose,
            "refuse_form": refuse,
            "confidentiality_form": confidentiality,
            "can_set_confidentiality": can_assess,
            "confidential": obj.is_confidential(),
        }
        return self._page(request, "governance/admin/legal_request.html", context, status)

    def package_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The disclosed data, for the authority: JSON, the disclosed categories only."""
        if not request.user.has_perm("governance.decide_legalrequest"):
            raise PermissionDenied
        obj = LegalRequest.objects.filter(pk=pk).first()
        if obj is None:
            raise Http404
        try:
            package = legal_requests.legal_request_package(
                request=obj, actor=_actor(request), request_id=getattr(request, "request_id", "")
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(reverse("admin:governance_legalrequest_change", args=[pk]))
        body = {
            "legal_request": obj.reference,
            "authority": obj.authority,
            "authority_reference": obj.authority_reference,
            "categories": obj.disclosed_categories,
            "generated_at": timezone.now(),
            "subjects": [
                {
                    "subject_id": subject.subject_id,
                    "records": [
                        {"model": r.model, "row_id": r.row_id, "values": jsonable(r.values)}
                        for r in subject.records
                    ],
                }
                for subject in package
            ],
        }
        response = HttpResponse(
            json.dumps(body, cls=DjangoJSONEncoder, indent=2), content_type="application/json"
        )
        response["Content-Disposition"] = f'attachment; filename="{obj.reference}.json"'
        response["Cache-Control"] = "no-store"
        return response


def countdown(deadline: incidents.Deadline) -> str:
    """The deadline as text the server writes and ``countdown.js`` keeps ticking."""
    state = "met" if deadline.notified_at else ("overdue" if deadline.overdue else "running")
    if deadline.notified_at:
        # Met or late, the clock has stopped: the script leaves it alone.
        return format_html('<span class="deadline deadline-{}">{}</span>', state, deadline.label)
    return format_html(
        '<span class="deadline deadline-{}" data-deadline="{}">{}</span>',
        state,
        deadline.due_at.isoformat(),
        deadline.label,
    )


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        "title",
        "status",
        "detected_at",
        "regulator_deadline_left",
        "affected_subjects_count",
        "regulator_notified_at",
        "customers_notified_count",
    )
    list_filter = ("status",)
    search_fields = ("title",)

    class Media:
        js = ("governance/countdown.js",)
        css = {"all": ("governance/incidents.css",)}

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # GDPR Art. 33(5): every breach stays documented

    @admin.display(description="Regulator deadline")
    def regulator_deadline_left(self, incident: Incident) -> str:
        return countdown(incidents.incident_deadline(incident=incident))

    def _page(
        self, request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "media": self.media,
            **context,
        }
        return TemplateResponse(request, template, context, status=status)

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = IncidentForm(request.POST or None, initial={"detected_at": timezone.now()})
        if request.method == "POST" and form.is_valid():
            try:
                created = incidents.incident_create(actor=_actor(request), **form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    gettext("Incident %(reference)s recorded.") % {"reference": created.reference},
                )
                return HttpResponseRedirect(
                    reverse("admin:governance_incident_change", args=[created.pk])
                )
        status = 400 if request.method == "POST" else 200
        return self._page(
            request,
            "governance/admin/incident_add.html",
            {"form": form, "title": "Record a security incident"},
            status,
        )

    def _initial(self, incident: Incident) -> dict[str, Any]:
        names = [name for name in IncidentForm.base_fields]
        return {name: getattr(incident, name) for name in names}

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        user = request.user
        can_change = user.has_perm("governance.change_incident")
        can_notify = user.has_perm("governance.notify_incident")
        details = IncidentForm(initial=self._initial(obj), prefix="details")
        notice = NoticeForm(
            initial={"text": obj.regulator_notice or incidents.incident_notice_draft(incident=obj)},
            prefix="notice",
        )
        status = 200
        if request.method == "POST":
            action = request.POST.get("action", "")
            needed = (
                can_notify if action in {"regulator_notified", "notify_customers"} else can_change
            )
            if not needed:
                raise PermissionDenied
            try:
                done = self._act(request, obj, action)
                if done:
                    return HttpResponseRedirect(request.path)
                if action == "details":
                    details = IncidentForm(request.POST, prefix="details")
                    if details.is_valid():
                        incidents.incident_update(
                            incident=obj, actor=_actor(request), **details.cleaned_data
                        )
                        messages.success(request, gettext("Incident updated."))
                        return HttpResponseRedirect(request.path)
                elif action == "notice_save":
                    notice = NoticeForm(request.POST, prefix="notice")
                    if notice.is_valid():
                        incidents.incident_notice_save(
                            incident=obj, actor=_actor(request), text=notice.cleaned_data["text"]
                        )
                        messages.success(request, gettext("Notice saved."))
                        return HttpResponseRedirect(request.path)
                elif action == "notice_draft":
                    # A fresh draft in the box, not saved until staff save it.
                    notice = NoticeForm(
                        initial={"text": incidents.incident_notice_draft(incident=obj)},
                        prefix="notice",
                    )
                    messages.info(
                        request, gettext("A new draft is in the box below; save it to keep it.")
                    )
                    status = 200
                else:
                    messages.error(request, gettext("Unknown action."))
            except DomainError as exc:
                messages.error(request, exc.message)
            if action != "notice_draft":
                status = 400
        obj.refresh_from_db()
        deadline = incidents.incident_deadline(incident=obj)
        context = {
            "title": f"Incident {obj.reference}",
            "incident": obj,
            "deadline": deadline,
            "countdown": countdown(deadline),
            "category_labels": _labels(obj.categories),
            "affected": incidents.affected_of(incident=obj)[:200],
            "pending": obj.affected.filter(notified_at__isnull=True).count(),
            "events": obj.events.select_related("actor"),
            "details_form": details,
            "notice_form": notice,
            "can_change": can_change and obj.status != IncidentStatus.CLOSED,
            "can_notify": can_notify,
            "authority": settings.SUPERVISORY_AUTHORITY_NAME,
            "next_statuses": [
                (s, IncidentStatus(s).label)
                for s in sorted(INCIDENT_TRANSITIONS.get(obj.status, set()))
            ],
        }
        return self._page(request, "governance/admin/incident.html", context, status)

    def _act(self, request: HttpRequest, incident: Incident, action: str) -> bool:
        """The one-button actions; True when done."""
        actor = _actor(request)
        if action == "scan":
            incidents.incident_affected_scan_request(incident=incident, actor=actor)
            messages.success(
                request,
                gettext("Searching the data map for affected customers; reload in a moment."),
            )
        elif action == "status":
            incidents.incident_transition(
                incident=incident, to_status=request.POST.get("to_status", ""), actor=actor
            )
            messages.success(request, gettext("Status changed."))
        elif action == "regulator_notified":
            incidents.incident_regulator_notified(incident=incident, actor=actor)
            messages.success(request, gettext("Regulator notification recorded."))
        elif action == "notify_customers":
            pending = incidents.incident_customers_notify(incident=incident, actor=actor)
            messages.success(
                request,
                gettext("Notice to %(pending)s affected customers queued.") % {"pending": pending},
            )
        else:
            return False
        return True
