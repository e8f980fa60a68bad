"""The outbox viewer: every email with its delivery state. Content (address,
subject, bodies) is there only until the email is sent; opening one asks for
a reason like any personal record."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from roamwise.audit.admin import PersonalDataAdmin
from roamwise.core.errors import DomainError

from . import selectors, services
from .models import Campaign, CampaignEvent, CampaignMessage, OutboundEmail


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
        messages.success(request, gettext("%(count)s email(s) queued again.") % {"count": count})


# --- Campaigns (USE-02) -----------------------------------------------------------


class CampaignMessageInline(admin.StackedInline):
    model = CampaignMessage
    extra = 1
    fields = ("language", "subject", "body")

    def _draft(self, obj: Campaign | None) -> bool:
        return obj is None or obj.status == Campaign.Status.DRAFT

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._draft(obj) and super().has_delete_permission(request, obj)


class CampaignEventInline(admin.TabularInline):
    model = CampaignEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "actor", "from_status", "to_status", "note")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    """Compose per language, preview with the audience count, then send."""

    list_display = ("name", "kind", "status", "sent", "opened", "unsubscribed", "created_at")
    list_filter = ("status", "kind")
    search_fields = ("name",)
    fields = (
        "name",
        "kind",
        "fallback_language",
        "status",
        "scheduled_at",
        "finished_at",
        "preview",
    )
    readonly_fields = ("status", "scheduled_at", "finished_at", "preview")
    inlines = [CampaignMessageInline, CampaignEventInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.status != Campaign.Status.DRAFT:
            return self.fields
        return self.readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A sent campaign is the record of who was written to.
        drafted = obj is None or obj.status == Campaign.Status.DRAFT
        return drafted and super().has_delete_permission(request, obj)

    @admin.display(description=_("preview and send"))
    def preview(self, campaign: Campaign) -> str:
        if campaign.pk is None:
            return str(_("Save the campaign to preview it."))
        url = reverse("admin:notifications_campaign_preview", args=[campaign.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Preview and send"))

    @admin.display(description=_("sent"))
    def sent(self, campaign: Campaign) -> int:
        return selectors.campaign_counts(campaign=campaign).sent

    @admin.display(description=_("opened"))
    def opened(self, campaign: Campaign) -> str:
        return str(_("not measured"))

    @admin.display(description=_("unsubscribed"))
    def unsubscribed(self, campaign: Campaign) -> int:
        return selectors.campaign_counts(campaign=campaign).unsubscribed

    def get_urls(self) -> list:
        return [
            path(
                "<int:campaign_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="notifications_campaign_preview",
            ),
            path(
                "<int:campaign_id>/preview.html",
                self.admin_site.admin_view(self.preview_html_view),
                name="notifications_campaign_preview_html",
            ),
            path(
                "<int:campaign_id>/send/",
                self.admin_site.admin_view(self.send_view),
                name="notifications_campaign_send",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest, campaign_id: int) -> HttpResponse:
        """The email as a recipient gets it, in each language, and who would get it."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        language = request.GET.get("language") or campaign.fallback_language
        if language not in dict(settings.LANGUAGES):
            return HttpResponseBadRequest(_("Unknown language."))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "campaign": campaign,
            "title": _("Preview of %(name)s") % {"name": campaign.name},
            "languages": settings.LANGUAGES,
            "language": language,
            "rendered": selectors.campaign_preview(campaign=campaign, language=language),
            "audience": selectors.campaign_audience_count(),
            "counts": selectors.campaign_counts(campaign=campaign),
            "can_send": request.user.has_perm("notifications.send_campaign")
            and campaign.status == Campaign.Status.DRAFT,
        }
        return TemplateResponse(request, "notifications/admin_campaign_preview.html", context)

    def preview_html_view(self, request: HttpRequest, campaign_id: int) -> HttpResponse:
        """The HTML part alone, opened in its own tab: email styles are inline,
        which the site's CSP forbids, so this one page allows inline styles and
        nothing else (no script, no form, no framing)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        language = request.GET.get("language") or campaign.fallback_language
        if language not in dict(settings.LANGUAGES):
            return HttpResponseBadRequest(_("Unknown language."))
        rendered = selectors.campaign_preview(campaign=campaign, language=language)
        if rendered is None:
            raise Http404(_("This campaign has no message yet."))
        response = HttpResponse(rendered.html)
        response._csp_replace = {  # type: ignore[attr-defined]
            "style-src": ["'unsafe-inline'"],
            "script-src": ["'none'"],
            "form-action": ["'none'"],
            "sandbox": [""],
        }
        return response

    def send_view(self, request: HttpRequest, campaign_id: int) -> HttpResponse:
        if not request.user.has_perm("notifications.send_campaign"):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        try:
            services.campaign_schedule(campaign_id=campaign.pk, actor=request.user)  # type: ignore[arg-type]
        except DomainError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(
                reverse("admin:notifications_campaign_preview", args=[campaign.pk])
            )
        messages.success(request, _("The campaign is being sent."))
        return HttpResponseRedirect(reverse("admin:notifications_campaign_changelist"))
