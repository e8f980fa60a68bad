"""Catalogue writes: loading the world's destinations and the demo plans."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pycountry
from django.db import transaction

from .geography import DEMO_COUNTRIES, PLAN_SHAPES, REGIONS, TIER_PRICES, region_members
from .models import Destination, Network, Plan

# Names people use, where ISO's short name reads oddly.
_NAME_OVERRIDES = {
    "CD": "DR Congo",
    "PS": "Palestine",
    "FM": "Micronesia",
    "VA": "Vatican City",
    "RU": "Russia",
    "SH": "Saint Helena",
    "MK": "North Macedonia",
}
_EXTRA_ALIASES = {"US": "USA", "GB": "UK; Britain; England; Scotland; Wales", "AE": "UAE; Dubai"}
_REGION_TIER = 3
_GLOBAL_TIER = 4
_BUNDLE_SHAPES = [0, 2, 3]  # 1 GB 7 days, 5 GB 30 days, 10 GB 30 days


@dataclass(frozen=True)
class CatalogLoadResult:
    countries: int
    regions: int
    plans: int


def _country_name(country: object) -> str:
    code = country.alpha_2  # type: ignore[attr-defined]
    return _NAME_OVERRIDES.get(code) or getattr(country, "common_name", None) or country.name  # type: ignore[attr-defined]


def _aliases(country: object, name: str) -> str:
    names = {country.name, getattr(country, "official_name", None)}  # type: ignore[attr-defined]
    names.discard(name)
    names.discard(None)
    extra = _EXTRA_ALIASES.get(country.alpha_2)  # type: ignore[attr-defined]
    parts = sorted(n for n in names if n)
    if extra:
        parts.append(extra)
    return "; ".join(parts)[:300]


def _plan_name(label: str, data_mb: int | None, days: int) -> str:
    data = "Unlimited" if data_mb is None else f"{data_mb // 1024} GB"
    return f"{label} {data} · {days} days"


def _upsert_plan(
    destination: Destination, shape_index: int, tier: int, networks: list[Network]
) -> Plan:
    data_mb, days, fair_use = PLAN_SHAPES[shape_index]
    plan, _ = Plan.objects.update_or_create(
        destination=destination,
        name=_plan_name(destination.name, data_mb, days),
        defaults={
            "data_mb": data_mb,
            "fair_use_mb_per_day": fair_use,
            "validity_days": days,
            "price": Decimal(TIER_PRICES[tier][shape_index]),
            "currency": "USD",
            "profile_type": "roamwise-standard",
            "is_active": True,
        },
    )
    plan.networks.set(networks)
    return plan


@transaction.atomic
def catalog_load_world() -> int:
    """Create or refresh a destination for every ISO 3166-1 country."""
    for country in pycountry.countries:
        name = _country_name(country)
        Destination.objects.update_or_create(
            code=country.alpha_2,
            defaults={
                "alpha3": country.alpha_3,
                "name": name,
                "slug": country.alpha_2.lower(),
                "kind": Destination.Kind.COUNTRY,
                "aliases": _aliases(country, name),
            },
        )
    return len(pycountry.countries)


@transaction.atomic
def catalog_load_demo() -> CatalogLoadResult:
    """Load the world's destinations, regions, networks and a demo set of plans.

    Idempotent: running it again updates the same rows.
    """
    countries = catalog_load_world()
    by_code = {d.code: d for d in Destination.objects.filter(kind=Destination.Kind.COUNTRY)}

    networks_by_country: dict[str, list[Network]] = {}
    plan_count = 0
    for rank, (code, (tier, operators)) in enumerate(DEMO_COUNTRIES.items()):
        country = by_code[code]
        country.popularity = len(DEMO_COUNTRIES) - rank
        country.save(update_fields=["popularity", "updated_at"])
        networks = []
        for name, mcc_mnc in operators:
            network, _ = Network.objects.update_or_create(
                mcc_mnc=mcc_mnc, defaults={"name": name, "country": country}
            )
            networks.append(network)
        networks_by_country[code] = networks
        for index in range(len(PLAN_SHAPES)):
            _upsert_plan(country, index, tier, networks)
            plan_count += 1

    for slug, (name, _) in REGIONS.items():
        region, _ = Destination.objects.update_or_create(
            code=slug, defaults={"slug": slug, "name": name, "kind": Destination.Kind.REGION}
        )
        members = [by_code[code] for code in region_members(slug) if code in by_code]
        region.countries.set(members)
        region_networks = [n for m in members for n in networks_by_country.get(m.code, [])]
        for index in _BUNDLE_SHAPES:
            _upsert_plan(region, index, _REGION_TIER, region_networks)
            plan_count += 1

    world, _ = Destination.objects.update_or_create(
        code="global",
        defaults={"slug": "global", "name": "Global", "kind": Destination.Kind.GLOBAL},
    )
    all_networks = [n for networks in networks_by_country.values() for n in networks]
    for index in _BUNDLE_SHAPES:
        _upsert_plan(world, index, _GLOBAL_TIER, all_networks)
        plan_count += 1
    return CatalogLoadResult(countries=countries, regions=len(REGIONS) + 1, plans=plan_count)
