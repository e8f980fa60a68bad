from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass

from babel.numbers import get_currency_name, get_currency_symbol
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from roamwise.consent.middleware import request_consent
from roamwise.consent.models import Purpose
from roamwise.core.errors import NotFound
from roamwise.core.geo import request_country
from roamwise.core.identity import shop_identity
from roamwise.core.money import locale_name

from . import hooks, selectors
from .cache import cached, first_visit_page
from .currency import (
    CURRENCY_SESSION_KEY,
    currencies_available,
    remember_currency,
    request_currency,
)
from .models import Destination, Plan
from .pricing import plans_priced

SEARCH_RESULTS_LIMIT = 60
SUGGESTIONS_LIMIT = 8
# Destinations looked at, kept in the session only with personalisation consent.
VIEWED_KEY = "viewed_destinations"
VIEWED_MAX = 5
# The popular list counts sales: rebuilt every five minutes, for every worker at once.
POPULAR_SECONDS = 300


def _viewed_destinations(request: HttpRequest, *, allowed: bool) -> list[str]:
    if not allowed:
        # Consent withdrawn or objected to: forget what was kept for it.
        if VIEWED_KEY in request.session:
            del request.session[VIEWED_KEY]
        return []
    return [str(code) for code in request.session.get(VIEWED_KEY, [])][:VIEWED_MAX]


def _recommendations_html(
    recommendations: list[selectors.Recommendation], currency: str
) -> SafeString:
    # Rendered without the request: nothing about the visitor can slip in.
    plans_priced([item.plan for item in recommendations], currency=currency)
    return render_to_string("catalog/_recommendations.html", {"recommendations": recommendations})


def _destinations_html() -> SafeString:
    return render_to_string(
        "catalog/_home_destinations.html",
        {
            "popular": selectors.destination_popular(limit=12),
            "regions": selectors.destination_regions(),
        },
    )


def home(request: HttpRequest) -> HttpResponse:
    version = selectors.catalog_version()
    popular = int(time.time()) // POPULAR_SECONDS
    return first_visit_page(
        request, popular, version=version, render=lambda: _home(request, version, popular)
    )


def _home(request: HttpRequest, version: str, popular: int) -> HttpResponse:
    consent = request_consent(request)
    personal = consent.allows(Purpose.PERSONALISATION)
    customer = request.user if personal and request.user.is_authenticated else None
    viewed = _viewed_destinations(request, allowed=personal)
    located = consent.allows(Purpose.LOCATION)
    currency = request_currency(request)
    if customer is None and not viewed and not located:
        # Nothing about this visitor may be used: the list everyone gets, built
        # once per worker and five minutes.
        recommendations = cached(
            "home-popular",
            popular,
            currency,
            version=version,
            build=lambda: _recommendations_html(selectors.plans_recommended(), currency),
            timeout=POPULAR_SECONDS,
        )
    else:
        recommendations = _recommendations_html(
            selectors.plans_recommended(
                customer=customer,
                viewed_destinations=viewed,
                country=(lambda: request_country(request)) if located else None,
            ),
            currency,
        )
    context = {
        "recommendations": recommendations,
        "destinations": cached("home-destinations", version=version, build=_destinations_html),
    }
    return render(request, "catalog/home.html", context)


def destination_list(request: HttpRequest) -> HttpResponse:
    """Search results without JavaScript; a query naming one destination goes to it."""
    query = request.GET.get("q", "")[:100]
    if not query.strip():
        everything = list(selectors.destination_search()[: SEARCH_RESULTS_LIMIT + 1])
        results = [selectors.SearchResult(d, matched="", is_place=False) for d in everything]
    else:
        found = selectors.destination_find(query=query, limit=SEARCH_RESULTS_LIMIT + 1)
        if found.exact is not None:
            return redirect("catalog:destination_detail", slug=found.exact.slug)
        results = found.results
    context = {
        "query": query,
        "results": results[:SEARCH_RESULTS_LIMIT],
        "truncated": len(results) > SEARCH_RESULTS_LIMIT,
    }
    return render(request, "catalog/destination_list.html", context)


def destination_suggest(request: HttpRequest) -> JsonResponse:
    """Suggestions as the visitor types in a search box (catalog/suggest.js)."""
    query = request.GET.get("q", "")[:100]
    found = selectors.destination_find(query=query, limit=SUGGESTIONS_LIMIT)
    suggestions = [
        {
            "name": result.destination.name,
            "flag": result.destination.flag,
            "kind": result.destination.get_kind_display(),
            "matched": result.matched,
            "url": reverse("catalog:destination_detail", args=[result.destination.slug]),
        }
        for result in found.results
    ]
    return JsonResponse({"query": query, "suggestions": suggestions})


@dataclass(frozen=True)
class DestinationPage:
    """A destination's page as every visitor sees it."""

    code: str
    name: str
    flag: str
    plans: SafeString


def _destination_page(slug: str, sort: str, currency: str) -> DestinationPage:
    destination = selectors.destination_get(code=slug)
    plans = plans_priced(
        selectors.plans_covering(destination=destination, sort=sort), currency=currency
    )
    covered = selectors.countries_covered(destination_ids={p.destination_id for p in plans})
    for plan in plans:
        # A regional plan's card says how many countries it works in.
        plan.countries_covered = covered.get(plan.destination_id)  # type: ignore[attr-defined]
    context = {
        "destination": destination,
        "own_plans": [p for p in plans if p.destination_id == destination.pk],
        "wider_plans": [p for p in plans if p.destination_id != destination.pk],
        "is_country": destination.kind == Destination.Kind.COUNTRY,
        "sort": sort,
        "sorts": [
            (key, label, key == sort)
            for key, label in (
                ("price", _("Price")),
                ("data", _("Data")),
                ("validity", _("Validity")),
            )
        ],
    }
    return DestinationPage(
        code=destination.code,
        name=destination.display_name,
        flag=destination.flag,
        plans=render_to_string("catalog/_destination_plans.html", context),
    )


def destination_detail(request: HttpRequest, slug: str) -> HttpResponse:
    version = selectors.catalog_version()
    return first_visit_page(
        request, version=version, render=lambda: _destination_detail(request, slug, version)
    )


def _destination_detail(request: HttpRequest, slug: str, version: str) -> HttpResponse:
    currency = request_currency(request)
    sort = request.GET.get("sort", selectors.DEFAULT_PLAN_SORT)
    if sort not in selectors.PLAN_SORTS:
        sort = selectors.DEFAULT_PLAN_SORT
    try:
        page = cached(
            "destination",
            slug.lower(),
            sort,
            currency,
            version=version,
            build=lambda: _destination_page(slug, sort, currency),
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    allowed = request_consent(request).allows(Purpose.PERSONALISATION)
    viewed = _viewed_destinations(request, allowed=allowed)
    if allowed and viewed[:1] != [page.code]:
        others = [code for code in viewed if code != page.code]
        request.session[VIEWED_KEY] = [page.code, *others][:VIEWED_MAX]
    return render(request, "catalog/destination_detail.html", {"page": page})


def _plan_structured_data(request: HttpRequest, plan: Plan) -> SafeString:
    """schema.org Product with its Offer, for search engines (a JSON-LD data block)."""
    url = request.build_absolute_uri(reverse("catalog:plan_detail", args=[plan.public_id]))
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": plan.name,
        "sku": str(plan.public_id),
        "category": "eSIM data plan",
        "description": f"{plan.data_label}, {plan.validity_days} days, {plan.destination.name}",
        "brand": {"@type": "Brand", "name": settings.SITE_NAME},
        "offers": {
            "@type": "Offer",
            "url": url,
            # The offer as this visitor sees it: the price in their currency.
            "price": str(plan.shown_price.quantized()),  # type: ignore[attr-defined]
            "priceCurrency": plan.shown_price.currency,  # type: ignore[attr-defined]
            "availability": "https://schema.org/InStock",
            "seller": {"@type": "Organization", "name": shop_identity().legal_name},
        },
    }
    text = json.dumps(data, ensure_ascii=False)
    # Inside <script>, "</" or "<!--" in a name must not end the block.
    escaped = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return mark_safe(escaped)  # noqa: S308 - JSON escaped above, in a data block


def plan_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    try:
        plan = selectors.plan_get(public_id=public_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    plans_priced([plan], currency=request_currency(request))
    networks = selectors.plan_networks(plans=[plan])[plan.pk]
    context = {
        "plan": plan,
        "networks": networks,
        "countries": selectors.region_countries(destination=plan.destination),
        "structured_data": _plan_structured_data(request, plan),
    }
    return render(request, "catalog/plan_detail.html", context)


def currency_choices(codes: list[str] | None = None) -> list[tuple[str, str]]:
    """The currencies a visitor can choose (the shop's, without reading the
    rate table on every page), named in the current language."""
    locale = locale_name()
    return [
        (code, f"{get_currency_name(code, locale=locale)} ({get_currency_symbol(code, locale)})")
        for code in (settings.CURRENCIES if codes is None else codes)
    ]


@require_http_methods(["GET", "POST"])
def currency_choose(request: HttpRequest) -> HttpResponse:
    """Choose the currency prices are shown and charged in: kept in a cookie on
    this browser and, for a signed-in customer, on their profile."""
    back = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = ""
    status = 200
    if request.method == "POST":
        code = request.POST.get("currency", "").strip().upper()
        if code in currencies_available():
            if request.user.is_authenticated:
                hooks.profile_update_currency(user=request.user, currency=code)
                request.session[CURRENCY_SESSION_KEY] = code
            response = HttpResponseRedirect(back or request.path)
            remember_currency(response, code)
            return response
        messages.error(request, _("Choose one of the currencies in the list."))
        status = 400
    context = {
        "currency_choices": currency_choices(currencies_available()),
        "current_currency": request_currency(request),
        "next": back,
    }
    return render(request, "catalog/currency.html", context, status=status)
