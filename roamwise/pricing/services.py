"""Pricing writes: preview what the rules would change, apply it in one
transaction, set or remove a plan's override (ADR 0034).

The preview and the application compute prices the same way
(``price_preview``): an override wins; otherwise the most specific active rule
that covers the plan prices it from the cost of its preferred source, in the
plan's own currency (a cost in another currency goes through the rate table).
A price that would be below a source's cost before VAT, at the highest VAT
rate the shop charges, is refused unless the plan may be sold below cost
(``Plan.sell_below_cost``, an audited decision); one refusal stops the whole
application, so nothing is ever half-applied.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext, ngettext

from roamwise.catalog.models import Plan, PlanPrice
from roamwise.catalog.pricing import CurrencyUnavailable, plan_prices
from roamwise.catalog.services import catalog_changed
from roamwise.core.errors import DomainError
from roamwise.core.money import Money, quantum

from . import selectors
from .models import PriceChange, PriceOverride, PriceRun, PricingRule

if TYPE_CHECKING:
    from roamwise.accounts.models import User

COST_PLACES = Decimal("0.0001")
REFUSED_NAMED = 5  # plans named in a refusal; the count says how many more


class ReasonRequired(DomainError):
    code = "price_reason_required"
    status = 400


class PricesBelowCost(DomainError):
    code = "prices_below_cost"
    status = 409


class PreviewOutdated(DomainError):
    code = "price_preview_outdated"
    status = 409


class NothingToApply(DomainError):
    code = "no_price_changes"
    status = 400


class OverrideInvalid(DomainError):
    code = "price_override_invalid"
    status = 400


@dataclass(frozen=True)
class PriceLine:
    """One plan in a preview: its price now, the price it would get (None when
    it is skipped), what set it, and what staff should know."""

    plan: Plan
    current: Money
    new: Money | None = None
    set_by: str = ""
    rule_id: int | None = None
    cost: Money | None = None
    warnings: tuple[str, ...] = ()
    # Why this price may not be applied; one such line stops the application.
    refused: str = ""
    # Why no price is computed for the plan.
    skipped: str = ""

    @property
    def changed(self) -> bool:
        return self.new is not None and self.new.amount != self.current.amount

    @property
    def change(self) -> Decimal:
        return self.new.amount - self.current.amount if self.new else Decimal(0)

    @property
    def change_percent(self) -> Decimal | None:
        if not self.current.amount:
            return None
        return (self.change / self.current.amount * 100).quantize(Decimal("0.1"))


@dataclass
class Preview:
    lines: list[PriceLine] = field(default_factory=list)

    @property
    def changes(self) -> list[PriceLine]:
        return [line for line in self.lines if line.changed]

    @property
    def refused(self) -> list[PriceLine]:
        return [line for line in self.changes if line.refused]

    @property
    def skipped(self) -> list[PriceLine]:
        return [line for line in self.lines if line.skipped]

    @property
    def unchanged(self) -> int:
        return sum(1 for line in self.lines if line.new is not None and not line.changed)

    @property
    def digest(self) -> str:
        """A fingerprint of the changes: an application is refused if the
        prices it would set are not those the preview showed."""
        text = ";".join(
            f"{line.plan.pk}:{line.current.amount}:{line.new.amount}"  # type: ignore[union-attr]
            for line in sorted(self.changes, key=lambda line: line.plan.pk)
        )
        return hashlib.sha256(text.encode()).hexdigest()


def _plans(plan_ids: Collection[int] | None) -> list[Plan]:
    plans = Plan.objects.select_related("destination").order_by("destination__name", "pk")
    if plan_ids is None:
        return list(plans.filter(is_active=True))
    return list(plans.filter(pk__in=list(plan_ids)))


def price_preview(*, plan_ids: Collection[int] | None = None) -> Preview:
    """What applying the rules (and overrides) would do to the plans: every
    active plan, or the ones named. A handful of queries, whatever their number."""
    plans = _plans(plan_ids)
    ids = [plan.pk for plan in plans]
    costs = selectors.plan_costs(ids)
    facts = selectors.plan_facts(plans, costs)
    rules = selectors.active_rules()
    fixed = selectors.overrides(ids)
    table = selectors.rates()
    vat = selectors.highest_vat_rate()
    preview = Preview()
    for plan in plans:
        preview.lines.append(
            _line(plan, costs[plan.pk], facts[plan.pk], rules, fixed.get(plan.pk), table, vat)
        )
    return preview


def _line(
    plan: Plan,
    costs: selectors.PlanCosts,
    facts: selectors.PlanFacts,
    rules: list[PricingRule],
    override: PriceOverride | None,
    table: dict[str, Decimal],
    vat: Decimal,
) -> PriceLine:
    current = plan.money
    base: Money | None = None
    preferred = costs.preferred
    if preferred is not None:
        amount = selectors.converted(preferred.amount, preferred.currency, plan.currency, table)
        if amount is not None:
            base = Money(amount.quantize(COST_PLACES), plan.currency)
    warnings: list[str] = []
    rule: PricingRule | None = None
    if override is not None:
        new = Money(Decimal(override.amount), plan.currency)
        set_by = gettext("Override")
    else:
        if preferred is None:
            return PriceLine(
                plan, current, skipped=gettext("No wholesale cost is known (supplied over ES2+).")
            )
        if base is None:
            return PriceLine(
                plan,
                current,
                skipped=gettext(
                    "The cost is in %(cost)s and the rate table cannot convert it to %(plan)s."
                )
                % {"cost": preferred.currency, "plan": plan.currency},
            )
        rule = next((candidate for candidate in rules if candidate.covers(facts)), None)
        if rule is None:
            return PriceLine(plan, current, cost=base, skipped=gettext("No active rule covers it."))
        priced = rule.price(base.amount)
        new = Money(priced.amount, plan.currency)
        set_by = rule.name
        if priced.bound == "floor":
            warnings.append(gettext("Raised to the rule's floor."))
        elif priced.bound == "ceiling":
            warnings.append(gettext("Lowered to the rule's ceiling."))
    refused = ""
    if new.amount <= 0:
        refused = gettext("No price above zero.")
    else:
        below, unknown = _below_cost(new, costs, table, vat)
        for currency in unknown:
            warnings.append(
                gettext("A cost in %(cost)s cannot be compared: the rate table has no rate for it.")
                % {"cost": currency}
            )
        foreign = any(source.currency != plan.currency for source in costs.sources)
        if foreign and not plan.sell_below_cost:
            warnings.append(
                gettext(
                    "Checkout compares costs only in the plan's own currency: it refuses "
                    "this plan until it may be sold below cost."
                )
            )
        if below:
            if plan.sell_below_cost:
                warnings.append(
                    gettext("Below its cost (%(below)s); allowed: %(reason)s")
                    % {"below": below, "reason": plan.below_cost_reason}
                )
            else:
                refused = gettext("Below its cost (%(below)s).") % {"below": below}
    return PriceLine(
        plan,
        current,
        new=new,
        set_by=set_by,
        rule_id=rule.pk if rule else None,
        cost=base,
        warnings=tuple(warnings),
        refused=refused,
    )


def _below_cost(
    price: Money, costs: selectors.PlanCosts, table: dict[str, Decimal], vat: Decimal
) -> tuple[str, list[str]]:
    """Which source's cost the price before VAT (at ``vat``) does not cover, as
    text, or ""; and the currencies of costs that cannot be converted."""
    net = price.amount / (1 + vat)
    unknown = []
    for source in costs.sources:
        cost = selectors.converted(source.amount, source.currency, price.currency, table)
        if cost is None:
            unknown.append(source.currency)
        elif net < cost:
            return (
                gettext("%(net)s before VAT at %(vat)s%%, %(supplier)s charges %(cost)s")
                % {
                    "net": Money(net, price.currency),
                    "vat": f"{(vat * 100).normalize():f}",
                    "supplier": source.supplier,
                    "cost": Money(cost.quantize(COST_PLACES), price.currency),
                },
                unknown,
            )
    return "", unknown


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired(gettext("Give the reason for this change of prices."))
    return reason[:300]


def _refusal(preview: Preview) -> PricesBelowCost:
    refused = preview.refused
    named = "; ".join(f"{line.plan}: {line.refused}" for line in refused[:REFUSED_NAMED])
    more = len(refused) - REFUSED_NAMED
    if more > 0:
        named += " " + ngettext("(and %(count)d more)", "(and %(count)d more)", more) % {
            "count": more
        }
    message = ngettext(
        "%(count)d price would not cover its cost, so no price was changed: %(plans)s",
        "%(count)d prices would not cover their cost, so no price was changed: %(plans)s",
        len(refused),
    ) % {"count": len(refused), "plans": named}
    return PricesBelowCost(message)


def _record(preview: Preview, *, kind: str, reason: str, actor: User) -> PriceRun:
    run = PriceRun.objects.create(kind=kind, reason=reason, actor=actor)
    changes = preview.changes
    plans = []
    for line in changes:
        line.plan.price = line.new.amount  # type: ignore[union-attr]
        plans.append(line.plan)
    Plan.objects.bulk_update(plans, ["price"])
    PriceChange.objects.bulk_create(
        PriceChange(
            run=run,
            plan=line.plan,
            currency=line.current.currency,
            old_amount=line.current.amount,
            new_amount=line.new.amount,  # type: ignore[union-attr]
            rule_id=line.rule_id,
            set_by=line.set_by[:120],
        )
        for line in changes
    )
    catalog_changed()
    return run


def _lock(plan_ids: Collection[int] | None) -> None:
    """Hold the plans until the transaction ends: nobody changes a price between
    the check and the write."""
    rows = Plan.objects.select_for_update()
    rows = rows.filter(is_active=True) if plan_ids is None else rows.filter(pk__in=list(plan_ids))
    list(rows.values_list("pk", flat=True))


def prices_apply(
    *,
    actor: User,
    reason: str,
    plan_ids: Collection[int] | None = None,
    expected: str = "",
) -> PriceRun:
    """Apply the rules to every active plan (or the ones named), all or nothing.

    ``expected`` is the digest of the preview staff confirmed: if the prices
    have moved since, nothing is applied and they are asked to look again. Any
    price below cost without the plan's decision to allow it stops it all.
    """
    reason = _reason(reason)
    with transaction.atomic():
        _lock(plan_ids)
        preview = price_preview(plan_ids=plan_ids)
        if expected and preview.digest != expected:
            raise PreviewOutdated(
                gettext(
                    "The prices have changed since the preview; nothing was applied. "
                    "Check the new preview and confirm again."
                )
            )
        if preview.refused:
            raise _refusal(preview)
        if not preview.changes:
            raise NothingToApply(gettext("The rules change no price."))
        return _record(preview, kind=PriceRun.Kind.RULES, reason=reason, actor=actor)


def override_set(
    *, plan_ids: Collection[int], amount: Decimal | None, reason: str, actor: User
) -> PriceRun:
    """Fix the price of the plans at ``amount`` (in their currency), or with
    ``None`` remove their overrides so the rules price them again; the new
    prices are applied at once, all or nothing, as one price run."""
    reason = _reason(reason)
    ids = sorted(set(plan_ids))
    if not ids:
        raise OverrideInvalid(gettext("Choose at least one plan."))
    with transaction.atomic():
        _lock(ids)
        currencies = set(Plan.objects.filter(pk__in=ids).values_list("currency", flat=True))
        if amount is None:
            PriceOverride.objects.filter(plan_id__in=ids).delete()
        else:
            if len(currencies) > 1:
                raise OverrideInvalid(
                    gettext(
                        "These plans are sold in %(currencies)s: set an override for one "
                        "currency at a time."
                    )
                    % {"currencies": ", ".join(sorted(currencies))}
                )
            (currency,) = currencies
            if amount <= 0:
                raise OverrideInvalid(gettext("A price must be above zero."))
            if amount != amount.quantize(quantum(currency)):
                raise OverrideInvalid(
                    gettext("%(code)s has no smaller unit than %(unit)s.")
                    % {"code": currency, "unit": quantum(currency)}
                )
            for plan_id in ids:
                PriceOverride.objects.update_or_create(
                    plan_id=plan_id, defaults={"amount": amount, "reason": reason}
                )
        preview = price_preview(plan_ids=ids)
        if preview.refused:
            raise _refusal(preview)
        return _record(preview, kind=PriceRun.Kind.OVERRIDE, reason=reason, actor=actor)


@dataclass(frozen=True)
class TypedPrices:
    """What a plan sells for in each currency the shop sells in (None: not
    offered), and the currencies whose price is typed on its page: its own,
    and each it has a price set for."""

    prices: dict[str, Money | None]
    typed: frozenset[str]


def typed_prices(*, plan_id: int) -> TypedPrices:
    """The plan's prices as they are in the database now: taken before and
    after its page is saved, to record what was typed (``prices_typed_record``)."""
    plan = Plan.objects.get(pk=plan_id)
    prices: dict[str, Money | None] = {}
    for currency in settings.CURRENCIES:
        try:
            prices[currency] = plan_prices(plans=[plan], currency=currency)[plan.pk]
        except CurrencyUnavailable:
            prices[currency] = None
    prices[plan.currency] = plan.money
    typed = {
        plan.currency,
        *PlanPrice.objects.filter(plan_id=plan_id).values_list("currency", flat=True),
    }
    return TypedPrices(prices=prices, typed=frozenset(typed))


def typed_price_refusal(*, plan: Plan, amount: Decimal) -> str:
    """Why ``amount``, typed as the plan's own price, may not be it: below a
    source's cost before VAT at the highest rate, as for a price run, unless
    the plan may be sold below cost (ADR 0034); "" when it may."""
    if plan.pk is None or plan.sell_below_cost or amount <= 0:
        return ""
    costs = selectors.plan_costs([plan.pk])[plan.pk]
    below, _unknown = _below_cost(
        Money(amount, plan.currency), costs, selectors.rates(), selectors.highest_vat_rate()
    )
    return gettext("Below its cost (%(below)s).") % {"below": below} if below else ""


def prices_typed_record(
    *, plan_id: int, before: TypedPrices, reason: str, actor: User
) -> PriceRun | None:
    """Record the prices typed on a plan's page as a price run: a change for
    each typed currency whose price moved (its own price, a price set for a
    currency, added or removed), with who, when and why. Runs in the page's
    transaction, after it saved. None when no price moved."""
    after = typed_prices(plan_id=plan_id)
    changes = []
    for currency in sorted(before.typed | after.typed):
        old, new = before.prices.get(currency), after.prices.get(currency)
        if new is None or (old is not None and old.amount == new.amount):
            continue  # not offered any more: no price to record
        changes.append((currency, old.amount if old is not None else Decimal(0), new.amount))
    if not changes:
        return None
    run = PriceRun.objects.create(kind=PriceRun.Kind.TYPED, reason=_reason(reason), actor=actor)
    set_by = gettext("Typed on the plan's page")[:120]
    PriceChange.objects.bulk_create(
        PriceChange(
            run=run,
            plan_id=plan_id,
            currency=currency,
            old_amount=old_amount,
            new_amount=new_amount,
            set_by=set_by,
        )
        for currency, old_amount, new_amount in changes
    )
    return run
