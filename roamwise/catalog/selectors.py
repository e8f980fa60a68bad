"""Catalogue reads. Every list here runs a fixed number of queries."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Case, Count, F, IntegerField, OrderBy, Q, QuerySet, Value, When
from django.utils.translation import gettext

from roamwise.core.countries import country_name
from roamwise.core.errors import NotFound

from . import search
from .models import Destination, Plan

# The catalogue's version: part of the key of everything cached from the
# catalogue (ADR 0016). Kept in the shared cache, so that every worker process
# sees a change at once; every write to the catalogue replaces it
# (services.catalog_changed).
CATALOG_VERSION_KEY = "catalog:version"


def catalog_version() -> str:
    version = cache.get(CATALOG_VERSION_KEY)
    if version is None:
        # First reader after a start or an eviction: one token wins for everyone.
        cache.add(CATALOG_VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(CATALOG_VERSION_KEY)
    return str(version)


def _printable(query: str) -> str:
    # Control characters can never match a name, and PostgreSQL refuses NUL.
    return "".join(ch for ch in query if ch.isprintable()).strip()


def destination_search(*, query: str = "", kind: str | None = None) -> QuerySet[Destination]:
    """Destinations matching ``query`` (search.py: typos, other languages, places),
    best match first; every destination, most popular first, without a query."""
    destinations = Destination.objects.all()
    if kind:
        destinations = destinations.filter(kind=kind)
    query = _printable(query)
    if not query:
        return destinations.order_by("-popularity", "name")
    codes = [m.code for m in search.destination_matches(query, version=catalog_version())]
    if not codes:
        return destinations.none()
    rank = Case(
        *(When(code=code, then=Value(index)) for index, code in enumerate(codes)),
        output_field=IntegerField(),
    )
    return destinations.filter(code__in=codes).order_by(rank, "name")


@dataclass(frozen=True)
class SearchResult:
    destination: Destination
    # What matched, when it is not the destination's own name: "Bali", "Japon".
    matched: str
    is_place: bool


@dataclass(frozen=True)
class SearchResults:
    results: list[SearchResult]
    # The one destination the query names exactly, if there is one.
    exact: Destination | None


def destination_find(*, query: str, limit: int) -> SearchResults:
    """The search page's and the suggestions' results, in two queries at most."""
    query = _printable(query)
    if not query:
        return SearchResults(results=[], exact=None)
    matches = search.destination_matches(query, version=catalog_version(), limit=limit)
    if not matches:
        return SearchResults(results=[], exact=None)
    by_code = {d.code: d for d in Destination.objects.filter(code__in=[m.code for m in matches])}
    results = [
        SearchResult(
            destination=by_code[m.code],
            matched="" if m.term in ("", by_code[m.code].name) else m.term,
            is_place=m.is_place,
        )
        for m in matches
        if m.code in by_code
    ]
    exact_code = search.exact_destination(matches)
    return SearchResults(results=results, exact=by_code.get(exact_code) if exact_code else None)


def destination_popular(*, limit: int = 12) -> QuerySet[Destination]:
    return Destination.objects.filter(popularity__gt=0).order_by("-popularity")[:limit]


def destination_regions() -> QuerySet[Destination]:
    return Destination.objects.exclude(kind=Destination.Kind.COUNTRY).order_by("kind", "name")


def destination_get(*, code: str) -> Destination:
    destination = Destination.objects.filter(Q(code__iexact=code) | Q(slug=code.lower())).first()
    if destination is None:
        raise NotFound(gettext("No destination with code %(code)r.") % {"code": code})
    return destination


@dataclass(frozen=True)
class NetworkRow:
    name: str
    mcc_mnc: str
    country_code: str
    country_name: str


def plan_networks(*, plans: Sequence[Plan]) -> dict[int, list[NetworkRow]]:
    """Each plan's networks, by plan id, in one query and without model instances:
    a global plan roams onto every network there is."""
    found: dict[int, list[NetworkRow]] = {plan.pk: [] for plan in plans}
    rows = (
        Plan.networks.through.objects.filter(plan_id__in=list(found))
        .order_by("network__country__name", "network__name", "network__mcc_mnc")
        .values_list(
            "plan_id",
            "network__name",
            "network__mcc_mnc",
            "network__country__code",
            "network__country__name",
        )
    )
    for plan_id, name, mcc_mnc, code, _name in rows:
        found[plan_id].append(NetworkRow(name, mcc_mnc, code, country_name(code)))
    return found


# How a destination's plans can be sorted (?sort=): cheapest first, most data
# first (unlimited before all), longest validity first; each then by price.
PLAN_SORTS: dict[str, tuple[str | OrderBy, ...]] = {
    "price": ("price", "validity_days"),
    "data": (F("data_mb").desc(nulls_first=True), "price"),
    "validity": ("-validity_days", "price"),
}
DEFAULT_PLAN_SORT = "price"


def plans_covering(*, destination: Destination, sort: str = DEFAULT_PLAN_SORT) -> QuerySet[Plan]:
    """Plans usable in a destination: its own, its regions', and global plans.

    For a region or global destination, only the plans sold for it. Networks
    are not fetched: ``plan_networks`` reads them for the plans that show them.
    ``sort`` is a key of ``PLAN_SORTS``.
    """
    plans = Plan.objects.filter(is_active=True).select_related("destination")
    if destination.kind == Destination.Kind.COUNTRY:
        covering = (
            Q(destination=destination)
            | Q(destination__countries=destination)
            | Q(destination__kind=Destination.Kind.GLOBAL)
        )
        plans = plans.filter(covering).distinct()
    else:
        plans = plans.filter(destination=destination)
    return plans.order_by("destination__kind", *PLAN_SORTS[sort])


def countries_covered(*, destination_ids: Iterable[int]) -> dict[int, int]:
    """How many countries each region covers, by destination id, in one query."""
    rows = (
        Destination.objects.filter(pk__in=list(destination_ids), kind=Destination.Kind.REGION)
        .annotate(covered=Count("countries"))
        .values_list("pk", "covered")
    )
    return dict(rows)


def region_countries(*, destination: Destination) -> list[Destination]:
    """The countries a region's plans work in, by name."""
    if destination.kind != Destination.Kind.REGION:
        return []
    return list(destination.countries.order_by("name"))


def plan_get(*, public_id: uuid.UUID | str) -> Plan:
    try:
        key = uuid.UUID(str(public_id))
    except ValueError as exc:
        raise NotFound(gettext("No plan with that id.")) from exc
    plan = Plan.objects.filter(is_active=True, public_id=key).select_related("destination").first()
    if plan is None:
        raise NotFound(gettext("No plan with that id."))
    return plan


# --- Recommendations (USE-01, AUT-03) ----------------------------------------------

PURCHASED_STATUSES = ("paid", "fulfilled", "partially_refunded")


@dataclass(frozen=True)
class Recommendation:
    plan: Plan
    basis: str  # "location", "purchases", "browsing" or "popular"
    reason: str


def plans_popular(*, limit: int = 4) -> list[Plan]:
    """The non-personal ranking: most bought plans, then the most popular destinations."""
    plans = (
        Plan.objects.filter(is_active=True)
        .select_related("destination")
        .annotate(sold=Count("orders", filter=Q(orders__status__in=PURCHASED_STATUSES)))
        .order_by("-sold", "-destination__popularity", "price")
    )
    chosen: list[Plan] = []
    destinations: set[int] = set()
    for plan in plans[: limit * 8]:
        # One plan per destination, so the list is not four sizes of one country.
        if plan.destination_id in destinations:
            continue
        destinations.add(plan.destination_id)
        chosen.append(plan)
        if len(chosen) == limit:
            break
    return chosen


def _first_plan_for(destination: Destination, exclude: set[int]) -> Plan | None:
    for plan in plans_covering(destination=destination):
        if plan.pk not in exclude:
            return plan
    return None


def plans_recommended(
    *,
    customer: Any = None,
    viewed_destinations: Sequence[str] = (),
    country: Callable[[], str] | None = None,
    limit: int = 4,
) -> list[Recommendation]:
    """Plans to suggest, each with the reason it is shown.

    The caller passes only what consent allows: ``country`` (a function that
    reads the location) only with location consent, so that without it the
    location is never read; ``customer`` and ``viewed_destinations`` only with
    personalisation consent. With nothing, the ranking is the same for everyone.
    """
    picks: list[Recommendation] = []
    seen: set[int] = set()

    def add(plan: Plan | None, basis: str, reason: str) -> None:
        if plan is not None and plan.pk not in seen and len(picks) < limit:
            seen.add(plan.pk)
            picks.append(Recommendation(plan=plan, basis=basis, reason=reason))

    if country is not None:
        code = country()
        here = Destination.objects.filter(code=code).first() if code else None
        if here is not None:
            add(
                _first_plan_for(here, seen),
                "location",
                f"You seem to be in {here.name}: we used your connection's country, "
                "with your consent, for this page only.",
            )
    if customer is not None:
        bought = (
            Plan.objects.filter(orders__customer=customer, orders__status__in=PURCHASED_STATUSES)
            .select_related("destination")
            .order_by("-orders__created_at")
        )
        for plan in bought[:3]:
            seen.add(plan.pk)  # suggest something new, not the same plan again
            add(
                _first_plan_for(plan.destination, seen),
                "purchases",
                f"Because you bought {plan.name} for {plan.destination.name}.",
            )
    for code in viewed_destinations[:3]:
        viewed = Destination.objects.filter(code=code).first()
        if viewed is not None:
            add(
                _first_plan_for(viewed, seen),
                "browsing",
                f"Because you looked at plans for {viewed.name}.",
            )
    for plan in plans_popular(limit=limit):
        add(plan, "popular", "Popular with travellers: the same list for everyone.")
    return picks
