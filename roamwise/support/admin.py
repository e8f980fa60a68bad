"""The support queue in the back office.

The ticket list is the queue (filters by status, category and assignee;
bulk assignment and status changes; first-response and resolution times).
Opening a ticket shows its workspace: the conversation with internal notes,
a reply form with canned replies, status and assignment. Opening it is
written to the audit log with the ticket as the reason; contact details stay
masked for roles without ``accounts.view_contact_details`` (support agents).
"""

from __future__ import annotations

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
from django.utils.translation import gettext

from roamwise.accounts.models import User
from roamwise.audit.admin import PersonalDataAdmin
from roamwise.audit.masking import mask_email
from roamwise.audit.models import AccessEvent
from roamwise.audit.services import Access, access_record
from roamwise.core.errors import DomainError
from roamwise.vault.services import prefetch_keys

from . import selectors, services
from .models import CannedReply, Ticket, TicketStatus
from .views import attachment_response


def show_contact(request: HttpRequest) -> bool:
    return request.user.has_perm("accounts.view_contact_details")


def contact_of(request: HttpRequest, ticket: Ticket) -> str:
    email = ticket.email
    return email if show_contact(request) else mask_email(email)


def duration(value: timedelta | None) -> str:
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    return f"{hours // 24} d {hours % 24} h"


class StatusAction:
    def __init__(self, status: str) -> None:
        self.status = status
        self.__name__ = f"mark_{status}"
        self.short_description = f"Mark selected as {TicketStatus(status).label.lower()}"
        self.allowed_permissions = ("change",)

    def __call__(self, modeladmin: Any, request: HttpRequest, queryset: QuerySet) -> None:
        done = 0
        for ticket in queryset:
            try:
                services.ticket_transition(ticket=ticket, to_status=self.status, actor=request.user)  # type: ignore[arg-type]
                done += 1
            except DomainError as exc:
                messages.warning(
                    request,
                    gettext("%(reference)s: %(message)s")
                    % {"reference": ticket.reference, "message": exc.message},
                )
        messages.success(request, gettext("%(done)s ticket(s) changed.") % {"done": done})


@admin.register(Ticket)
class TicketAdmin(PersonalDataAdmin):
    list_filter = (
        "status",
        "category",
        ("assignee", admin.RelatedOnlyFieldListFilter),
        "created_at",
    )
    list_per_page = 50
    actions = [
        "assign_to_me",
        StatusAction(TicketStatus.OPEN),
        StatusAction(TicketStatus.WAITING),
        StatusAction(TicketStatus.RESOLVED),
        StatusAction(TicketStatus.CLOSED),
    ]
    search_fields = ("public_id",)
    change_list_template = "admin/support/ticket/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Ticket]:
        # Unconfirmed visitors' requests are not in the queue.
        return (
            super()
            .get_queryset(request)
            .filter(confirmed_at__isnull=False)
            .select_related("customer", "assignee")
        )

    def get_list_display(self, request: HttpRequest) -> Any:
        def contact(ticket: Ticket) -> str:
            return contact_of(request, ticket)

        contact.short_description = "Contact"  # type: ignore[attr-defined]
        return (
            "reference",
            "subject",
            "category",
            "status",
            contact,
            "assignee",
            "created_at",
            "first_response",
            "resolution",
        )

    @admin.display(description="Subject")
    def subject(self, ticket: Ticket) -> str:
        return ticket.title

    @admin.display(description="First response")
    def first_response(self, ticket: Ticket) -> str:
        return duration(ticket.first_response_time)

    @admin.display(description="Resolution")
    def resolution(self, ticket: Ticket) -> str:
        return duration(ticket.resolution_time)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Assign selected to me", permissions=["change"])
    def assign_to_me(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        for ticket in queryset:
            services.ticket_assign(ticket=ticket, assignee=request.user, actor=request.user)  # type: ignore[arg-type]
        messages.success(
            request, gettext("%(count)s ticket(s) assigned to you.") % {"count": queryset.count()}
        )

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> Any:
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if context and "cl" in context:
            # Each ticket's title is sealed with its own subject's key: unwrap
            # the page's keys with one query, not one per row.
            prefetch_keys(ticket.key_subject for ticket in context["cl"].result_list)
            times = selectors.queue_times(context["cl"].queryset)
            context["queue_first_response"] = duration(times["first_response"])
            context["queue_resolution"] = duration(times["resolution"])
        return response

    def get_urls(self) -> list:
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path(
                "<path:object_id>/attachments/<str:attachment_id>/",
                self.admin_site.admin_view(self.attachment_view),
                name="{}_{}_attachment".format(*info),
            ),
            *super().get_urls(),
        ]

    def _ticket(self, request: HttpRequest, object_id: str) -> Ticket:
        ticket = self.get_object(request, unquote(object_id))
        if ticket is None:
            raise Http404("No such ticket.")
        if not self.has_view_or_change_permission(request, ticket):
            raise PermissionDenied
        return ticket

    def attachment_view(
        self, request: HttpRequest, object_id: str, attachment_id: str
    ) -> HttpResponse:
        ticket = self._ticket(request, object_id)
        try:
            attachment = selectors.attachment_of(ticket=ticket, public_id=attachment_id, staff=True)
        except (DomainError, ValueError):
            raise Http404("No such attachment.") from None
        self._audit(request, ticket, ["attachment"])
        return attachment_response(attachment)

    def _audit(self, request: HttpRequest, ticket: Ticket, fields: list[str]) -> None:
        if ticket.customer is None:
            return  # a visitor: no account to log against; the ticket itself is the record
        with transaction.atomic():
            access_record(
                Access(
                    actor=request.user,  # type: ignore[arg-type]
                    subject=ticket.customer,
                    obj=ticket,
                    fields=tuple(fields),
                    action=AccessEvent.Action.VIEW,
                    reason=f"Support ticket {ticket.reference}",
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
        ticket = self._ticket(request, object_id)
        can_change = self.has_change_permission(request, ticket)
        if request.method == "POST":
            if not can_change:
                raise PermissionDenied
            return self._act(request, ticket)
        contact_fields = ["contact_email"] if show_contact(request) else []
        self._audit(request, ticket, ["title", "messages.body", *contact_fields])
        staff = User.objects.filter(is_staff=True, is_active=True).order_by("username")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Ticket {ticket.reference}",
            "ticket": ticket,
            "contact": contact_of(request, ticket),
            "contact_masked": not show_contact(request),
            "thread": selectors.thread(ticket=ticket, include_internal=True),
            "events": ticket.events.select_related("actor"),
            "canned": CannedReply.objects.filter(active=True),
            "statuses": TicketStatus.choices,
            "staff": staff,
            "can_change": can_change,
            "first_response": duration(ticket.first_response_time),
            "resolution": duration(ticket.resolution_time),
        }
        return TemplateResponse(request, "admin/support/ticket/workspace.html", context)

    def _act(self, request: HttpRequest, ticket: Ticket) -> HttpResponse:
        action = request.POST.get("action")
        user = request.user
        assert isinstance(user, User)  # the admin site lets staff only in
        try:
            if action in ("reply", "note"):
                if not user.has_perm("support.reply_ticket"):
                    raise PermissionDenied
                body = request.POST.get("body", "")
                canned_id = request.POST.get("canned", "")
                if not body.strip() and canned_id.isdigit():
                    canned = CannedReply.objects.filter(pk=int(canned_id), active=True).first()
                    body = canned.body if canned else ""
                services.message_post_staff(
                    ticket=ticket,
                    staff=user,
                    body=body,
                    internal=action == "note",
                )
                messages.success(
                    request, gettext("Note saved.") if action == "note" else "Reply sent."
                )
            elif action == "status":
                services.ticket_transition(
                    ticket=ticket,
                    to_status=request.POST.get("status", ""),
                    actor=user,
                )
                messages.success(request, gettext("Status changed."))
            elif action == "assign":
                raw = request.POST.get("assignee", "")
                assignee = (
                    User.objects.filter(pk=int(raw), is_staff=True).first()
                    if raw.isdigit()
                    else None
                )
                services.ticket_assign(ticket=ticket, assignee=assignee, actor=user)
                messages.success(request, gettext("Assignment changed."))
            else:
                messages.error(request, gettext("Unknown action."))
        except DomainError as exc:
            messages.error(request, exc.message)
        return HttpResponseRedirect(reverse("admin:support_ticket_change", args=[ticket.pk]))


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    list_display = ("title", "active", "updated_at")
    list_filter = ("active",)
    search_fields = ("title",)
