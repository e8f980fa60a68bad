"""The privacy officer's queue of data-subject requests (RGT-09).

The list is the queue: filters by status, kind, deadline (overdue, due this
week) and assignee, sorted by deadline, with a countdown. Opening a request
shows its workspace (what was asked, the files, the history, the erasure
report) and is written to the audit log against the subject, with the request
as the reason. Acting on it needs ``rights.handle_datarequest``.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext

from roamwise.accounts.models import User
from roamwise.audit.admin import PersonalDataAdmin
from roamwise.audit.masking import mask_email
from roamwise.audit.models import AccessEvent
from roamwise.audit.services import Access, access_record, access_record_many
from roamwise.core.errors import DomainError
from roamwise.datamap.selectors import read_field

from . import deadlines, selectors
from .errors import RequestNotFound
from .models import (
    ABOUT_A_CHILD,
    OPEN_STATUSES,
    DataRequest,
    LinkMethod,
    RequestKind,
    RequestStatus,
)
from .services import downloads
from .services import staff as staff_queue
from .views import file_response

HANDLE = "rights.handle_datarequest"


def _uuid_or_none(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw.strip())
    except ValueError:
        return None


class DeadlineFilter(admin.SimpleListFilter):
    title = "deadline"
    parameter_name = "deadline"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("overdue", "Overdue"), ("week", "Due within 7 days"), ("later", "Later")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        now = timezone.now()
        open_ = queryset.filter(status__in=OPEN_STATUSES)
        if self.value() == "overdue":
            return open_.filter(due_at__lt=now)
        if self.value() == "week":
            return open_.filter(due_at__gte=now, due_at__lt=now + timedelta(days=7))
        if self.value() == "later":
            return open_.filter(due_at__gte=now + timedelta(days=7))
        return queryset


@admin.register(DataRequest)
class DataRequestAdmin(PersonalDataAdmin):
    # The workspace below replaces the generic reason form: the request is the reason.

    list_display = (
        "reference",
        "kind",
        "status",
        "requester_kind",
        "assignee",
        "received_at",
        "due_at",
        "deadline",
    )
    list_filter = (
        "status",
        "kind",
        DeadlineFilter,
        "requester_kind",
        ("assignee", admin.RelatedOnlyFieldListFilter),
    )
    ordering = ("due_at", "pk")
    list_per_page = 50
    search_fields = ("public_id",)
    actions = ["assign_to_me"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[DataRequest]:
        return super().get_queryset(request).select_related("assignee")

    @admin.display(description="Deadline")
    def deadline(self, obj: DataRequest) -> str:
        return selectors.countdown(obj) or "answered"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Assign selected to me", permissions=["handle"])
    def assign_to_me(self, request: HttpRequest, queryset: QuerySet[DataRequest]) -> None:
        for data_request in queryset:
            staff_queue.request_assign(
                request=data_request,
                assignee=request.user,  # type: ignore[arg-type]
                actor=request.user,  # type: ignore[arg-type]
            )
        messages.success(
            request, gettext("%(count)s request(s) assigned to you.") % {"count": queryset.count()}
        )

    def has_handle_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(HANDLE)

    def get_urls(self) -> list:
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path(
                "<path:object_id>/files/<str:file_id>/",
                self.admin_site.admin_view(self.file_view),
                name="{}_{}_file".format(*info),
            ),
            *super().get_urls(),
        ]

    def _request(self, request: HttpRequest, object_id: str) -> DataRequest:
        found = self.get_object(request, unquote(object_id))
        if found is None:
            raise Http404("No such request.")
        if not self.has_view_or_change_permission(request, found):
            raise PermissionDenied
        return found

    def _audit(self, request: HttpRequest, found: DataRequest, fields: list[str]) -> None:
        if found.user is None:
            return  # no account: the request itself is the record
        with transaction.atomic():
            access_record(
                Access(
                    actor=request.user,  # type: ignore[arg-type]
                    subject=found.user,
                    obj=found,
                    fields=tuple(fields),
                    action=AccessEvent.Action.VIEW,
                    reason=f"Privacy request {found.reference}",
                    request_id=getattr(request, "request_id", ""),
                )
            )

    def _audit_candidates(
        self,
        request: HttpRequest,
        found: DataRequest,
        candidates: list[selectors.AccountCandidate],
    ) -> None:
        """Each account a search shows is a staff access to it (SEC-04)."""
        if not candidates:
            return
        with transaction.atomic():
            access_record_many(
                Access(
                    actor=request.user,  # type: ignore[arg-type]
                    subject=candidate.user,
                    obj=candidate.user,
                    fields=("username", "email", "profile.date_of_birth"),
                    action=AccessEvent.Action.VIEW,
                    reason=f"Privacy request {found.reference}: finding the account reported",
                    request_id=getattr(request, "request_id", ""),
                )
                for candidate in candidates
            )

    def file_view(self, request: HttpRequest, object_id: str, file_id: str) -> HttpResponse:
        found = self._request(request, object_id)
        try:
            evidence = selectors.file_of(request=found, public_id=file_id)
        except RequestNotFound:
            raise Http404("No such file.") from None
        self._audit(request, found, ["files.content"])
        return file_response(evidence.content, evidence.content_type, evidence.filename)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        found = self._request(request, object_id)
        can_handle = self.has_handle_permission(request)
        if request.method == "POST":
            if not can_handle:
                raise PermissionDenied
            return self._act(request, found)
        show_contact = request.user.has_perm("accounts.view_contact_details")
        contact = str(read_field(found, "contact_email") or "")
        if not contact and found.user is not None:
            contact = found.user.email
        self._audit(
            request,
            found,
            [
                "details",
                "child_identifier",
                "resolution",
                *(["contact_email"] if show_contact else []),
            ],
        )
        staff = User.objects.filter(is_staff=True, is_active=True).order_by("username")
        can_link = (
            can_handle
            and found.kind == RequestKind.ERASURE
            and found.requester_kind in ABOUT_A_CHILD
            and found.user_id is None
            and found.is_under_way
        )
        find = request.GET.get("find", "").strip()[:254]
        candidates = selectors.account_candidates(query=find) if can_link and find else []
        self._audit_candidates(request, found, candidates)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"{found.get_kind_display()}: {found.reference}",
            "data_request": found,
            "contact": contact if show_contact else mask_email(contact),
            "contact_masked": not show_contact,
            "details": read_field(found, "details"),
            "child_identifier": read_field(found, "child_identifier"),
            "resolution": read_field(found, "resolution"),
            "files": found.files.all(),
            "events": found.events.select_related("actor"),
            "countdown": selectors.countdown(found),
            "jurisdiction": deadlines.label(found.jurisdiction),
            "extension": deadlines.extension_period(found.jurisdiction),
            "staff": staff,
            "can_handle": can_handle,
            "can_erase": found.kind == RequestKind.ERASURE and found.user_id is not None,
            "can_send_download": found.kind in (RequestKind.ACCESS, RequestKind.EXPORT)
            and found.user_id is not None,
            "statuses": RequestStatus,
            "can_link": can_link,
            "find": find,
            "candidates": candidates,
            "link_methods": LinkMethod.choices,
        }
        return TemplateResponse(request, "admin/rights/datarequest/workspace.html", context)

    def _act(self, request: HttpRequest, found: DataRequest) -> HttpResponse:
        action = request.POST.get("action")
        user = request.user
        assert isinstance(user, User)  # the admin site lets staff only in
        text = request.POST.get("text", "")
        try:
            if action == "assign":
                raw = request.POST.get("assignee", "")
                assignee = (
                    User.objects.filter(pk=int(raw), is_staff=True).first()
                    if raw.isdigit()
                    else None
                )
                staff_queue.request_assign(request=found, assignee=assignee, actor=user)
                messages.success(request, gettext("Assignment changed."))
            elif action == "start":
                staff_queue.request_start(request=found, actor=user)
                messages.success(request, gettext("Request in progress."))
            elif action == "complete":
                staff_queue.request_complete(request=found, actor=user, resolution=text)
                messages.success(request, gettext("Answered."))
            elif action == "reject":
                staff_queue.request_reject(request=found, actor=user, reason=text)
                messages.success(request, gettext("Rejected; the requester is told why."))
            elif action == "extend":
                staff_queue.request_extend(request=found, actor=user, reason=text)
                messages.success(
                    request,
                    gettext("Deadline extended to %(due_at)s.")
                    % {"due_at": format(found.due_at, "%Y-%m-%d")},
                )
            elif action == "link":
                chosen = _uuid_or_none(request.POST.get("account", ""))
                account = (
                    User.objects.filter(public_id=chosen).first() if chosen is not None else None
                )
                if account is None:
                    messages.error(request, gettext("Choose an account the search found."))
                else:
                    staff_queue.request_account_link(
                        request=found,
                        account=account,
                        actor=user,
                        method=request.POST.get("method", ""),
                        note=text,
                    )
                    messages.success(
                        request, gettext("Account linked; erase it when you are ready.")
                    )
            elif action == "erase":
                staff_queue.request_erase(request=found, actor=user)
                if found.status == RequestStatus.FAILED:
                    messages.error(
                        request, gettext("The erasure could not be verified: still failed.")
                    )
                else:
                    messages.success(request, gettext("Erased."))
            elif action == "send_download":
                downloads.request_send_download(request=found, actor=user)
                messages.success(
                    request, gettext("A one-time download link went to the requester.")
                )
            else:
                messages.error(request, gettext("Unknown action."))
        except DomainError as exc:
            messages.error(request, exc.message)
        return HttpResponseRedirect(reverse("admin:rights_datarequest_change", args=[found.pk]))
