"""Catalogue writes: loading the world's destinations and the demo plans."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

import pycountry
from django.core.cache import cache
from django.db import connection, transaction
from django.utils.translation import gettext

from roamwise.audit.services import Access, access_record
from roamwise.core.errors import DomainError
from roamwise.core.money import Rounding

from .geography import DEMO_5G, DEMO_COUNTRIES, PLAN_SHAPES, REGIONS, TIER_PRICES, region_members
from .models import CurrencyRate, Destination, Network, Plan
from .selectors import CATALOG_VERSION_KEY

if TYPE_CHECKING:
    from roamwise.accounts.models import User


class BelowCostReasonRequired(DomainError):
    code = "below_cost_reason_required"
    status = 400


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
# The demo retailer's rate table, from USD; set once, then the back office's to change.
DEMO_RATES = {
    "EUR": (Decimal("0.92"), Rounding.END_99),
    "GBP": (Decimal("0.79"), Rounding.END_99),
    "JPY": (Decimal("150"), Rounding.WHOLE),
}


@dataclass(frozen=True)
class CatalogLoadResult:
    countries: int
    regions: int
    plans: int


def catalog_changed() -> None:
    """Give the catalogue a new version once the current transaction commits.

    Every write to destinations, networks or plans calls this (the loaders
    below, the back office): pages and API answers cached from the catalogue
    are keyed by its version, so none of them is served again. After the
    commit, so that no reader caches the old rows under the new version.
    """
    transaction.on_commit(lambda: cache.set(CATALOG_VERSION_KEY, uuid.uuid4().hex, timeout=None))


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


def _plan_rows(
    destination: Destination,
    shape_indexes: list[int],
    tier: int,
    networks: list[Network],
    *,
    generation: str = Plan.Generation.LTE,
) -> list[tuple[Plan, list[Network]]]:
    rows = []
    for index in shape_indexes:
        data_mb, days, fair_use = PLAN_SHAPES[index]
        plan = Plan(
            # Like most travel eSIMs: data only, validity from the first connection
            # abroad, and no hotspot on unlimited plans (their fair use is per phone).
            network_generation=generation,
            hotspot_allowed=data_mb is not None,
            is_data_only=True,
            validity_starts=Plan.ValidityStart.FIRST_USE,
            destination=destination,
            name=_plan_name(destination.name, data_mb, days),
            data_mb=data_mb,
            fair_use_mb_per_day=fair_use,
            validity_days=days,
            price=Decimal(TIER_PRICES[tier][index]),
            currency="USD",
            profile_type="roamwise-standard",
            is_active=True,
        )
        rows.append((plan, networks))
    return rows


def _save_plans(rows: list[tuple[Plan, list[Network]]]) -> int:
    """Insert new plans and refresh existing ones (matched by destination and
    name, so their public ids stay), then set their networks: a few queries
    in all, not a few per plan."""
    existing = {(p.destination_id, p.name): p for p in Plan.objects.all()}
    fields = [
        "data_mb",
        "fair_use_mb_per_day",
        "validity_days",
        "price",
        "currency",
        "profile_type",
        "is_active",
        "network_generation",
        "hotspot_allowed",
        "is_data_only",
        "validity_starts",
    ]
    new, changed, saved = [], [], []
    for plan, _networks in rows:
        current = existing.get((plan.destination_id, plan.name))
        if current is None:
            new.append(plan)
            saved.append(plan)
        else:
            for field in fields:
                setattr(current, field, getattr(plan, field))
            changed.append(current)
            saved.append(current)
    Plan.objects.bulk_create(new)
    Plan.objects.bulk_update(changed, fields)
    through = Plan.networks.through
    plan_ids = [plan.pk for plan in saved]
    through.objects.filter(plan_id__in=plan_ids).delete()
    through.objects.bulk_create(
        [
            through(plan_id=plan.pk, network_id=network.pk)
            for plan, (_, networks) in zip(saved, rows, strict=True)
            for network in networks
        ]
    )
    return len(saved)


@transaction.atomic
def catalog_load_world() -> int:
    """Create or refresh a destination for every ISO 3166-1 country."""
    existing = {d.code: d for d in Destination.objects.filter(kind=Destination.Kind.COUNTRY)}
    fields = ["alpha3", "name", "slug", "aliases"]
    new, changed = [], []
    for country in pycountry.countries:
        name = _country_name(country)
        values = {
            "alpha3": country.alpha_3,
            "name": name,
            "slug": country.alpha_2.lower(),
            "aliases": _aliases(country, name),
        }
        destination = existing.get(country.alpha_2)
        if destination is None:
            new.append(Destination(code=country.alpha_2, kind=Destination.Kind.COUNTRY, **values))
        else:
            for field, value in values.items():
                setattr(destination, field, value)
            changed.append(destination)
    Destination.objects.bulk_create(new)
    Destination.objects.bulk_update(changed, fields)
    catalog_changed()
    return len(pycountry.countries)


@transaction.atomic
def catalog_load_demo() -> CatalogLoadResult:
    """Load the world's destinations, regions, networks and a demo set of plans.

    Idempotent: running it again updates the same rows.
    """
    countries = catalog_load_world()
    by_code = {d.code: d for d in Destination.objects.filter(kind=Destination.Kind.COUNTRY)}

    networks_by_country: dict[str, list[Network]] = {}
    plan_rows: list[tuple[Plan, list[Network]]] = []
    existing_networks = {n.mcc_mnc: n for n in Network.objects.all()}
    for rank, (code, (tier, operators)) in enumerate(DEMO_COUNTRIES.items()):
        country = by_code[code]
        country.popularity = len(DEMO_COUNTRIES) - rank
        networks = []
        for name, mcc_mnc in operators:
            network = existing_networks.get(mcc_mnc) or Network(mcc_mnc=mcc_mnc)
            network.name, network.country = name, country
            networks.append(network)
        networks_by_country[code] = networks
        generation = Plan.Generation.NR if code in DEMO_5G else Plan.Generation.LTE
        plan_rows += _plan_rows(
            country, list(range(len(PLAN_SHAPES))), tier, networks, generation=generation
        )
    Destination.objects.bulk_update([by_code[c] for c in DEMO_COUNTRIES], ["popularity"])
    all_networks = [n for networks in networks_by_country.values() for n in networks]
    # Split before inserting: the insert gives the new rows their ids, and
    # they need no update after it.
    new_networks = [n for n in all_networks if n.pk is None]
    stored_networks = [n for n in all_networks if n.pk is not None]
    Network.objects.bulk_create(new_networks)
    Network.objects.bulk_update(stored_networks, ["name", "country"])
    if connection.vendor == "sqlite" or any(n.pk is None for n in all_networks):
        # Back-ends that do not return ids from bulk inserts: read them back.
        ids = dict(Network.objects.values_list("mcc_mnc", "pk"))
        for network in all_networks:
            network.pk = network.id = ids[network.mcc_mnc]

    for slug, (name, _) in REGIONS.items():
        region, _ = Destination.objects.update_or_create(
            code=slug, defaults={"slug": slug, "name": name, "kind": Destination.Kind.REGION}
        )
        members = [by_code[code] for code in region_members(slug) if code in by_code]
        region.countries.set(members)
        region_networks = [n for m in members for n in networks_by_country.get(m.code, [])]
        plan_rows += _plan_rows(region, _BUNDLE_SHAPES, _REGION_TIER, region_networks)

    world, _ = Destination.objects.update_or_create(
        code="global",
        defaults={"slug": "global", "name": "Global", "kind": Destination.Kind.GLOBAL},
    )
    plan_rows += _plan_rows(world, _BUNDLE_SHAPES, _GLOBAL_TIER, all_networks)
    plan_count = _save_plans(plan_rows)
    for currency, (rate, rounding) in DEMO_RATES.items():
        CurrencyRate.objects.get_or_create(
            currency=currency, defaults={"rate": rate, "rounding": rounding}
        )
    catalog_changed()
    return CatalogLoadResult(countries=countries, regions=len(REGIONS) + 1, plans=plan_count)


def plans_set_active(*, plan_ids: Iterable[int], active: bool) -> int:
    """Put plans on sale or take them off it; how many changed."""
    with transaction.atomic():
        changed = (
            Plan.objects.filter(pk__in=list(plan_ids))
            .exclude(is_active=active)
            .update(is_active=active)
        )
        catalog_changed()
    return changed


def plan_below_cost_set(*, plan: Plan, allowed: bool, reason: str, actor: User) -> Plan:
    """Allow (or stop allowing) a plan to be sold below its wholesale cost, for
    a reason: a deliberate decision, written to the audit trail with the staff
    member who took it as its subject (ADR 0025). One transaction."""
    reason = reason.strip()
    if allowed and not reason:
        raise BelowCostReasonRequired(
            gettext("Give the reason this plan may be sold below its cost.")
        )
    with transaction.atomic():
        Plan.objects.filter(pk=plan.pk).update(
            sell_below_cost=allowed, below_cost_reason=reason if allowed else ""
        )
        access_record(
            Access(
                actor=actor,
                subject=actor,
                obj=plan,
                fields=("below_cost_reason", "sell_below_cost"),
                action="change",
                reason=(
                    f"Sale below cost allowed: {reason}"
                    if allowed
                    else "Sale below cost no longer allowed" + (f": {reason}" if reason else "")
                ),
            )
        )
    plan.refresh_from_db()
    catalog_changed()
    return plan
