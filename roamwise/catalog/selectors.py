"""Catalogue reads. Every list here runs a fixed number of queries."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext

from roamwise.core.countries import country_name
from roamwise.core.errors import NotFound

from . import names
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


def destination_search(*, query: str = "", kind: str | None = None) -> QuerySet[Destination]:
    destinations = Destination.objects.all()
    # Control characters can never match a name, and PostgreSQL refuses NUL.
    query = "".join(ch for ch in query if ch.isprintable()).strip()
    if query:
        destinations = destinations.filter(
            Q(name__icontains=query)
            | Q(aliases__icontains=query)
            | Q(code__iexact=query)
            | Q(alpha3__iexact=query)
            # Names in every shop language, from CLDR ("Deutschland", "日本").
            | Q(code__in=names.destination_codes_named(query))
        )
    if kind:
        destinations = destinations.filter(kind=kind)
    return destinations.order_by("-popularity", "name")


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


def plans_covering(*, destination: Destination) -> QuerySet[Plan]:
    """Plans usable in a destination: its own, its regions', and global plans.

    For a region or global destination, only the plans sold for it. Networks
    are not fetched: ``plan_networks`` reads them for the plans that show them.
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
    return plans.order_by("destination__kind", "price", "validity_days")


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
