from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Promotion, PromotionAmount
from .selectors import normalised_code


class AmountsFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        kept = [
            form
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE", False)
        ]
        if self.instance.kind == Promotion.Kind.FIXED and not kept:
            raise forms.ValidationError(
                _("Give the amount off in at least one currency: a fixed amount needs one.")
            )


class PromotionAmountInline(admin.TabularInline):
    """A fixed amount off, one row per currency (whole yen for JPY)."""

    model = PromotionAmount
    formset = AmountsFormSet
    extra = 0
    fields = ("currency", "amount")


class PromotionForm(forms.ModelForm):
    class Meta:
        model = Promotion
        fields = (
            "name",
            "code",
            "is_active",
            "kind",
            "percent",
            "starts_at",
            "ends_at",
            "destinations",
            "plans",
            "first_purchase_only",
            "max_uses",
            "max_uses_per_customer",
        )

    def clean_code(self) -> str:
        # Kept in capitals, as customers are told it; typed in any case.
        return normalised_code(self.cleaned_data.get("code") or "")


@admin.register(Promotion)
class PromotionAdmin(admin.ModelAdmin):
    form = PromotionForm
    inlines = [PromotionAmountInline]
    list_display = (
        "name",
        "code_or_automatic",
        "discount",
        "starts_at",
        "ends_at",
        "is_active",
        "uses_so_far",
    )
    list_filter = ("is_active", "kind", "first_purchase_only")
    search_fields = ("name", "code")
    filter_horizontal = ("destinations", "plans")
    readonly_fields = ("uses_count",)
    fieldsets = (
        (None, {"fields": ("name", "code", "is_active")}),
        (_("Discount"), {"fields": ("kind", "percent")}),
        (_("When"), {"fields": ("starts_at", "ends_at")}),
        (_("What it applies to"), {"fields": ("destinations", "plans", "first_purchase_only")}),
        (_("Limits"), {"fields": ("max_uses", "max_uses_per_customer", "uses_count")}),
    )

    @admin.display(description=_("code"), ordering="code")
    def code_or_automatic(self, obj: Promotion) -> str:
        return obj.code or str(_("Automatic, no code"))

    @admin.display(description=_("discount"))
    def discount(self, obj: Promotion) -> str:
        if obj.percent is not None:
            return f"{obj.percent.normalize():f} %"
        return ", ".join(str(amount) for amount in obj.amounts.all()) or "-"

    @admin.display(description=_("uses so far"), ordering="uses_count")
    def uses_so_far(self, obj: Promotion) -> str:
        if obj.max_uses is None:
            return str(obj.uses_count)
        return f"{obj.uses_count} / {obj.max_uses}"

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).prefetch_related("amounts")
