"""Catalogue reads. Every list here runs a fixed number of queries."""

from __future__ import annotations

import uuid

from django.db.models import Prefetch, Q, QuerySet

from roamwise.core.errors import NotFound

from .models import Destination, Network, Plan


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
        raise NotFound(f"No destination with code {code!r}.")
    return destination


def _plans_with_details() -> QuerySet[Plan]:
    return (
        Plan.objects.filter(is_active=True)
        .select_related("destination")
        .prefetch_related(Prefetch("networks", queryset=Network.objects.select_related("country")))
    )


def plans_covering(*, destination: Destination) -> QuerySet[Plan]:
    """Plans usable in a destination: its own, its regions', and global plans.

    For a region or global destination, only the plans sold for it.
    """
    plans = _plans_with_details()
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
        raise NotFound("No plan with that id.") from exc
    plan = _plans_with_details().filter(public_id=key).first()
    if plan is None:
        raise NotFound("No plan with that id.")
    return plan
