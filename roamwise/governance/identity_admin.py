"""The back office's page for the seller's identity and the shop's branding."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from roamwise.core.identity import (
    FAVICON_MAX_BYTES,
    FAVICON_TYPES,
    LOGO_MAX_BYTES,
    LOGO_TYPES,
    image_type,
)
from roamwise.core.models import ShopIdentity

from .identity import shop_identity_save


class ShopIdentityForm(forms.ModelForm):
    logo_upload = forms.FileField(
        label=_("Logo"), required=False, help_text=_("PNG or JPEG, at most 200 KB.")
    )
    favicon_upload = forms.FileField(
        label=_("Favicon"), required=False, help_text=_("PNG, JPEG or ICO, at most 50 KB.")
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)
    remove_favicon = forms.BooleanField(label=_("Remove the favicon"), required=False)
    change_reason = forms.CharField(label=_("Why this change?"), required=False, max_length=200)

    class Meta:
        model = ShopIdentity
        fields = [
            "shop_name",
            "legal_name",
            "address",
            "registration",
            "vat_number",
            "support_phone",
            "support_hours",
            "primary_colour",
            "banner",
        ]

    def _image(self, name: str, accepted: dict, max_bytes: int) -> tuple[bytes, str] | None:
        upload = self.cleaned_data.get(name)
        if not upload:
            return None
        if upload.size > max_bytes:
            raise forms.ValidationError(
                gettext("The file is larger than %(kb)d KB.") % {"kb": max_bytes // 1024}
            )
        content = upload.read()
        content_type = image_type(content, accepted)
        if content_type is None:
            raise forms.ValidationError(gettext("This file is not an image of an accepted type."))
        return content, content_type

    def clean_logo_upload(self) -> tuple[bytes, str] | None:
        return self._image("logo_upload", LOGO_TYPES, LOGO_MAX_BYTES)

    def clean_favicon_upload(self) -> tuple[bytes, str] | None:
        return self._image("favicon_upload", FAVICON_TYPES, FAVICON_MAX_BYTES)

    def clean_vat_number(self) -> str:
        return " ".join(self.cleaned_data["vat_number"].upper().split())


@admin.register(ShopIdentity)
class ShopIdentityAdmin(admin.ModelAdmin):
    form = ShopIdentityForm
    fieldsets = [
        (
            _("Seller"),
            {"fields": ["legal_name", "address", "registration", "vat_number"]},
        ),
        (_("Support"), {"fields": ["support_phone", "support_hours"]}),
        (
            _("Branding"),
            {
                "fields": [
                    "shop_name",
                    "primary_colour",
                    "logo_upload",
                    "remove_logo",
                    "favicon_upload",
                    "remove_favicon",
                    "banner",
                ]
            },
        ),
        (None, {"fields": ["change_reason"]}),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # one row, made on first opening

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        if object_id == "1":  # the one row, made on first opening
            ShopIdentity.objects.get_or_create(pk=1)
        return super().get_object(request, object_id, from_field)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if not self.has_view_or_change_permission(request):
            return super().changelist_view(request, extra_context)
        ShopIdentity.objects.get_or_create(pk=1)
        return HttpResponseRedirect(reverse("admin:core_shopidentity_change", args=[1]))

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        changed = [
            name
            for name in form.changed_data
            if name not in ("change_reason", "logo_upload", "favicon_upload")
            and not name.startswith("remove_")
        ]
        for field, types in (("logo", "logo_upload"), ("favicon", "favicon_upload")):
            if form.cleaned_data.get(f"remove_{field}"):
                setattr(obj, field, None)
                setattr(obj, f"{field}_type", "")
                changed.append(field)
            elif image := form.cleaned_data.get(types):
                setattr(obj, field, image[0])
                setattr(obj, f"{field}_type", image[1])
                changed.append(field)
        shop_identity_save(
            actor=request.user,  # type: ignore[arg-type]
            identity=obj,
            changed=changed,
            reason=form.cleaned_data.get("change_reason", ""),
        )
