"""Back office: privacy policy versions, drafted here and published by an action
(POL-01, POL-02)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.safestring import SafeString

from roamwise.kernel.errors import PolicyError

from . import services
from .models import PartnerVetting, PolicyVersion
from .rendering import markdown_to_html


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    list_display = ("document", "version", "effective_at", "published_at", "significant")
    list_filter = ("document", "significant")
    ordering = ("-effective_at",)
    fields = (
        "document",
        "version",
        "effective_at",
        "significant",
        "summary_of_changes",
        "body",
        "published_at",
        "preview",
    )
    actions = ["publish"]

    @admin.display(description="Preview")
    def preview(self, obj: PolicyVersion) -> SafeString | str:
        return markdown_to_html(obj.body) if obj and obj.body else ""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.is_published:
            # A published text never changes: a correction is a new version.
            return self.fields
        return ("published_at", "preview")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_published:
            return False
        return super().has_delete_permission(request, obj)

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("governance.publish_policyversion")

    @admin.action(description="Publish the selected drafts", permissions=["publish"])
    def publish(self, request: HttpRequest, queryset: QuerySet[PolicyVersion]) -> None:
        for version in queryset.order_by("effective_at"):
            try:
                published = services.policy_version_publish(version=version)
            except PolicyError as exc:
                self.message_user(request, f"{version.version}: {exc}", messages.ERROR)
                continue
            note = " Every active customer is being told." if published.significant else ""
            self.message_user(
                request,
                f"Published {published.version}, effective "
                f"{published.effective_at:%Y-%m-%d %H:%M}.{note}",
                messages.SUCCESS,
            )


# Legal requests (SHR-05), breach incidents (SEC-06), the security organisation (SEC-08),
# the seller's identity and the shop's branding.
from . import identity_admin, response_admin, security_admin  # noqa: E402, F401


@admin.register(PartnerVetting)
class PartnerVettingAdmin(admin.ModelAdmin):
    """Each recipient's screening and confidentiality agreement (SHR-07). A
    recipient without one receives nothing; the admin history says who
    recorded what and when."""

    list_display = ("recipient", "screened_on", "confidentiality_signed_on", "updated_at")
    fields = (
        "recipient",
        "privacy_policy_url",
        "screened_on",
        "confidentiality_signed_on",
        "notes",
        "created_at",
        "updated_at",
    )
    readonly_fields = ("created_at", "updated_at")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A record of what was checked stays; a new screening updates it.
        return False
