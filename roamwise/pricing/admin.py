"""The back office of pricing: the rules, the preview that applies them, the
price history, and the plan list's bulk actions (ADR 0034)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from roamwise.audit.admin import PersonalDataAdmin
from roamwise.catalog.admin import PlanAdmin, PlanPriceInline
from roamwise.catalog.models import Plan
from roamwise.core.errors import DomainError

from . import services
from .forms import (
    PRICE_REASON,
    ApplyPricesForm,
    OverrideForm,
    PricingRuleForm,
    TypedPlanPriceFormSet,
    TypedPriceForm,
)
from .models import PriceChange, PriceOverride, PriceRun, PricingRule

CHANGE_PRICE = "catalog.change_price"
MAX_PLANS_IN_URL = 2000


def _plan_ids(raw: str) -> list[int] | None:
    """Plan ids from "1,2,3"; None for every active plan; ValueError if garbled."""
    raw = raw.strip()
    if not raw:
        return None
    ids = [int(part) for part in raw.split(",") if part.strip()]
    if not ids or len(ids) > MAX_PLANS_IN_URL or min(ids) < 1:
        raise ValueError(raw)
    return ids


@admin.register(PricingRule)
class PricingRuleAdmin(admin.ModelAdmin):
    form = PricingRuleForm
    list_display = (
        "name",
        "applies_to",
        "currency",
        "markup",
        "rounding",
        "floor",
        "ceiling",
        "priority",
        "is_active",
    )
    list_filter = ("is_active", "scope", "currency")
    search_fields = ("name",)
    autocomplete_fields = ("region", "destination")
    change_list_template = "admin/pricing/pricingrule/change_list.html"
    fieldsets = (
        (None, {"fields": ("name", "is_active")}),
        (
            _("Applies to"),
            {
                "fields": (
                    "scope",
                    "supplier",
                    "region",
                    "destination",
                    "plan_type",
                    "currency",
                    "priority",
                ),
                "description": _(
                    "The most specific rule that covers a plan prices it: one destination, "
                    "then a region, a supplier, a type of plan, every plan. Between rules of "
                    "one scope, the higher priority wins. A plan's override beats them all."
                ),
            },
        ),
        (
            _("Price"),
            {
                "fields": ("markup_percent", "markup_fixed", "rounding", "floor", "ceiling"),
                "description": _(
                    "Wholesale cost plus the markup, rounded up, then kept between the floor "
                    "and the ceiling. Prices include VAT; none may be below cost unless the "
                    "plan may be sold below cost."
                ),
            },
        ),
    )

    @admin.display(description=_("applies to"))
    def applies_to(self, rule: PricingRule) -> str:
        detail = {
            PricingRule.Scope.SUPPLIER: rule.supplier,
            PricingRule.Scope.REGION: str(rule.region) if rule.region_id else "",
            PricingRule.Scope.DESTINATION: str(rule.destination) if rule.destination_id else "",
            PricingRule.Scope.PLAN_TYPE: rule.get_plan_type_display(),
        }.get(PricingRule.Scope(rule.scope), "")
        label = rule.get_scope_display()
        return f"{label}: {detail}" if detail else str(label)

    @admin.display(description=_("markup"))
    def markup(self, rule: PricingRule) -> str:
        parts = []
        if rule.markup_percent:
            parts.append(f"{rule.markup_percent.normalize():+f} %")
        if rule.markup_fixed:
            parts.append(f"{rule.markup_fixed:+} {rule.currency}")
        return " ".join(parts) or "0"

    def get_queryset(self, request: HttpRequest) -> QuerySet[PricingRule]:
        return super().get_queryset(request).select_related("region", "destination")

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        extra = {
            **(extra_context or {}),
            "can_preview": request.user.has_perm(CHANGE_PRICE),
            "preview_url": reverse("admin:pricing_pricingrule_preview"),
        }
        return super().changelist_view(request, extra)

    def get_urls(self) -> list:
        return [
            path(
                "preview/",
                self.admin_site.admin_view(self.preview_view),
                name="pricing_pricingrule_preview",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        """Every price the rules would change, by how much and why; confirmed
        with a reason, applied in one transaction."""
        if not request.user.has_perm(CHANGE_PRICE):
            raise PermissionDenied
        try:
            plan_ids = _plan_ids(request.POST.get("plans") or request.GET.get("plans", ""))
        except ValueError:
            return HttpResponseBadRequest(
                gettext("The plans to preview are given as their numbers, separated by commas.")
            )
        form = ApplyPricesForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                run = services.prices_apply(
                    actor=request.user,  # type: ignore[arg-type]  # staff: signed in
                    reason=form.cleaned_data["reason"],
                    plan_ids=plan_ids,
                    expected=form.cleaned_data["expected"],
                )
            except DomainError as error:
                messages.error(request, error.message)
            else:
                count = run.changes.count()
                messages.success(
                    request,
                    ngettext("%(count)d price changed.", "%(count)d prices changed.", count)
                    % {"count": count},
                )
                changes = reverse("admin:pricing_pricechange_changelist")
                return HttpResponseRedirect(f"{changes}?run__id__exact={run.pk}")
        preview = services.price_preview(plan_ids=plan_ids)
        form = ApplyPricesForm(
            initial={"expected": preview.digest, "reason": form.data.get("reason", "")}
        )
        skipped: dict[str, list[Plan]] = {}
        for line in preview.skipped:
            skipped.setdefault(line.skipped, []).append(line.plan)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Preview of prices"),
            "preview": preview,
            "skipped": sorted(skipped.items()),
            "form": form,
            "plans": ",".join(map(str, plan_ids)) if plan_ids else "",
            "selected": plan_ids is not None,
        }
        return TemplateResponse(request, "admin/pricing/preview.html", context)


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record: written by the pricing services, never edited here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PriceChangeInline(admin.TabularInline):
    model = PriceChange
    extra = 0
    can_delete = False
    fields = ("plan", "currency", "old_amount", "new_amount", "set_by")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PriceRun)
class PriceRunAdmin(PersonalDataAdmin):
    """Each time prices were applied or an override set: who, when, why, and
    what. Who is a staff member's record: opened with a reason, like any."""

    list_display = ("created_at", "kind", "reason", "actor", "changed")
    list_filter = ("kind",)
    search_fields = ("reason",)
    readonly_fields = ("kind", "reason", "actor", "created_at")
    inlines = (PriceChangeInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[PriceRun]:
        return super().get_queryset(request).select_related("actor").annotate(n=Count("changes"))

    @admin.display(description=_("prices changed"))
    def changed(self, run: PriceRun) -> int:
        return getattr(run, "n", 0)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PriceChange)
class PriceChangeAdmin(ReadOnlyAdmin):
    """Every price a plan has had from the rules or an override: the history."""

    list_display = (
        "plan",
        "old_amount",
        "new_amount",
        "currency",
        "difference",
        "set_by",
        "run_link",
        "when",
    )
    list_filter = ("run__kind", "currency")
    search_fields = ("plan__name", "plan__destination__name", "set_by", "run__reason")
    list_select_related = ("plan__destination", "run")

    @admin.display(description=_("change"))
    def difference(self, change: PriceChange) -> str:
        return f"{change.change:+}"

    @admin.display(description=_("reason"))
    def run_link(self, change: PriceChange) -> str:
        url = f"{reverse('admin:pricing_pricechange_changelist')}?run__id__exact={change.run_id}"
        return format_html('<a href="{}">{}</a>', url, change.run.reason)

    @admin.display(description=_("when"), ordering="run__created_at")
    def when(self, change: PriceChange) -> Any:
        return change.run.created_at


@admin.register(PriceOverride)
class PriceOverrideAdmin(ReadOnlyAdmin):
    """Plans whose price is fixed by hand; set and removed from the plan list."""

    list_display = ("plan", "amount", "currency", "reason", "updated_at")
    search_fields = ("plan__name", "plan__destination__name", "reason")
    list_select_related = ("plan__destination",)

    @admin.display(description=_("currency"))
    def currency(self, override: PriceOverride) -> str:
        return override.plan.currency


class TypedPlanPriceInline(PlanPriceInline):
    formset = TypedPlanPriceFormSet


class PricedPlanAdmin(PlanAdmin):
    """The catalogue's plan list, with the bulk actions of pricing; a price
    typed on a plan's page is recorded as a price run, with its reason."""

    form = TypedPriceForm
    inlines = (TypedPlanPriceInline,)
    actions = (*PlanAdmin.actions, "apply_rules", "set_override")  # type: ignore[assignment]
    list_display = (*PlanAdmin.list_display, "override")  # type: ignore[assignment]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            # The prices before the page saves, to record what was typed.
            obj._typed_before = services.typed_prices(plan_id=obj.pk)
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        before = getattr(form.instance, "_typed_before", None)
        if before is not None:
            services.prices_typed_record(
                plan_id=form.instance.pk,
                before=before,
                reason=form.cleaned_data.get(PRICE_REASON, ""),
                actor=request.user,  # type: ignore[arg-type]  # staff: signed in
            )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Plan]:
        return super().get_queryset(request).select_related("price_override")

    @admin.display(description=_("override"), boolean=True)
    def override(self, plan: Plan) -> bool:
        return hasattr(plan, "price_override")

    def has_change_price_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(CHANGE_PRICE)

    @admin.action(description=_("Apply the pricing rules…"), permissions=["change_price"])
    def apply_rules(self, request: HttpRequest, queryset: QuerySet[Plan]) -> HttpResponse:
        ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True))
        return HttpResponseRedirect(f"{reverse('admin:pricing_pricingrule_preview')}?plans={ids}")

    @admin.action(description=_("Set or remove a price override…"), permissions=["change_price"])
    def set_override(self, request: HttpRequest, queryset: QuerySet[Plan]) -> HttpResponse | None:
        form = OverrideForm(request.POST if "confirm" in request.POST else None)
        if form.is_valid():
            try:
                run = services.override_set(
                    plan_ids=list(queryset.values_list("pk", flat=True)),
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                    actor=request.user,  # type: ignore[arg-type]  # staff: signed in
                )
            except DomainError as error:
                messages.error(request, error.message)
            else:
                count = run.changes.count()
                messages.success(
                    request,
                    ngettext(
                        "Override saved; %(count)d price changed.",
                        "Override saved; %(count)d prices changed.",
                        count,
                    )
                    % {"count": count},
                )
                return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Set or remove a price override"),
            "form": form,
            "plans": queryset.select_related("destination"),
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "action": "set_override",
        }
        return TemplateResponse(request, "admin/pricing/override.html", context)


admin.site.unregister(Plan)
admin.site.register(Plan, PricedPlanAdmin)
