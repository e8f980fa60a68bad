"""What a plan costs in each currency the shop sells in (ADR 0027).

In its own currency a plan costs its price. In another, the retailer's price
for that currency (``PlanPrice``) wins; otherwise the price follows the rate
table (``CurrencyRate``): converted through the base currency and rounded by
the target currency's rule. Every price is VAT included, as shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from roamwise.core.errors import DomainError
from roamwise.core.money import Money, Rounding, is_currency, round_price

from .cache import cached
from .models import CurrencyRate, Plan, PlanPrice
from .selectors import catalog_version


class CurrencyUnavailable(DomainError):
    code = "currency_unavailable"
    status = 400


def currency_offered(code: str) -> str:
    """The code, upper case, if the shop sells in it; a clear 4xx otherwise."""
    code = (code or "").strip().upper()
    if code not in settings.CURRENCIES:
        offered = ", ".join(settings.CURRENCIES)
        if not is_currency(code):
            message = _("%(code)s is not a currency code; use one of %(offered)s.")
        else:
            message = _("Prices are not offered in %(code)s; use one of %(offered)s.")
        raise CurrencyUnavailable(message % {"code": code[:8] or "''", "offered": offered})
    return code


def rate_table() -> dict[str, tuple[Decimal, str]]:
    """Currency -> (units per base unit, rounding rule), read once per catalogue version."""
    return cached(
        "rates",
        version=catalog_version(),
        build=lambda: {
            currency: (rate, rounding)
            for currency, rate, rounding in CurrencyRate.objects.values_list(
                "currency", "rate", "rounding"
            )
        },
    )


def _converted(price: Money, currency: str, table: dict[str, tuple[Decimal, str]]) -> Money:
    base = settings.DEFAULT_CURRENCY
    if price.currency == base:
        in_base = price.amount
    elif price.currency in table:
        in_base = price.amount / table[price.currency][0]
    else:
        in_base = None
    if in_base is None or (currency != base and currency not in table):
        raise CurrencyUnavailable(_("This plan has no price in %(code)s yet.") % {"code": currency})
    if currency == base:
        return Money(round_price(in_base, currency, Rounding.EXACT), currency)
    rate, rule = table[currency]
    return Money(round_price(in_base * rate, currency, rule), currency)


def plan_prices(*, plans: Sequence[Plan], currency: str) -> dict[int, Money]:
    """Each plan's price in the currency, by plan id: two queries at most."""
    currency = currency_offered(currency)
    others = [plan.pk for plan in plans if plan.currency != currency]
    set_prices: dict[int, Decimal] = {}
    if others:
        set_prices = dict(
            PlanPrice.objects.filter(plan_id__in=others, currency=currency).values_list(
                "plan_id", "amount"
            )
        )
    table = rate_table() if len(set_prices) < len(others) else {}
    found = {}
    for plan in plans:
        if plan.currency == currency:
            found[plan.pk] = plan.money
        elif plan.pk in set_prices:
            found[plan.pk] = Money(set_prices[plan.pk], currency)
        else:
            found[plan.pk] = _converted(plan.money, currency, table)
    return found


def plan_price(*, plan: Plan, currency: str) -> Money:
    return plan_prices(plans=[plan], currency=currency)[plan.pk]


def plans_priced(plans: Iterable[Plan], *, currency: str) -> list[Plan]:
    """The plans, each with ``shown_price``: what the visitor sees and pays."""
    plans = list(plans)
    prices = plan_prices(plans=plans, currency=currency)
    for plan in plans:
        plan.shown_price = prices[plan.pk]  # type: ignore[attr-defined]
    return plans
