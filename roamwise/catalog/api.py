from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Path, Query, Router, Schema
from ninja.responses import NinjaJSONEncoder

from roamwise.core.schemas import ErrorOut

from . import selectors
from .cache import cached
from .models import Destination, Plan
from .selectors import NetworkRow

router = Router(tags=["catalogue"])

NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f]*$"
DESTINATION_CODE = Path(
    ..., min_length=2, max_length=16, pattern=r"^[A-Za-z0-9-]+$", description="ISO code or slug."
)


class DestinationOut(Schema):
    code: str
    name: str
    kind: Literal["country", "region", "global"]
    flag: str


class DestinationPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[DestinationOut]


class NetworkOut(Schema):
    name: str
    mcc_mnc: str
    country_code: str


class PlanOut(Schema):
    id: uuid.UUID
    name: str
    destination: DestinationOut
    data_mb: int | None = Field(description="Data included in MB; null for unlimited.")
    unlimited: bool
    fair_use_mb_per_day: int | None
    validity_days: int
    price: Decimal = Field(description="Decimal amount in the plan's currency.")
    currency: str
    networks: list[NetworkOut]
    network_generation: str = Field(
        description='Fastest network generation: "5g", "4g", or "" when not stated.'
    )
    hotspot_allowed: bool
    data_only: bool = Field(description="True: no phone number for calls or texts.")
    validity_starts: str = Field(description='"first_use", "install" or "purchase".')


class DestinationFilter(Schema):
    q: str = Field(
        "",
        max_length=100,
        pattern=NO_CONTROL_CHARACTERS,
        description="Name in any of the shop's languages, alias, place (Bali), ISO code; "
        "typos forgiven.",
    )
    kind: Literal["country", "region", "global"] | None = None
    limit: int = Field(50, ge=1, le=250)
    offset: int = Field(0, ge=0, le=100_000)


def _destination_out(destination: Destination) -> DestinationOut:
    return DestinationOut(
        code=destination.code,
        name=destination.display_name,
        kind=destination.kind,  # type: ignore[arg-type]
        flag=destination.flag,
    )


def _plan_out(plan: Plan, networks: list[NetworkRow]) -> PlanOut:
    return PlanOut(
        id=plan.public_id,
        name=plan.name,
        destination=_destination_out(plan.destination),
        data_mb=plan.data_mb,
        unlimited=plan.is_unlimited,
        fair_use_mb_per_day=plan.fair_use_mb_per_day,
        validity_days=plan.validity_days,
        price=plan.price,
        currency=plan.currency,
        network_generation=plan.network_generation,
        hotspot_allowed=plan.hotspot_allowed,
        data_only=plan.is_data_only,
        validity_starts=plan.validity_starts,
        networks=[
            NetworkOut(name=n.name, mcc_mnc=n.mcc_mnc, country_code=n.country_code)
            for n in networks
        ],
    )


@router.get(
    "/destinations",
    response={200: DestinationPage, 422: ErrorOut},
    summary="List or search destinations",
)
def list_destinations(request: HttpRequest, filters: Query[DestinationFilter]) -> DestinationPage:
    found = selectors.destination_search(query=filters.q, kind=filters.kind)
    page = found[filters.offset : filters.offset + filters.limit]
    return DestinationPage(
        count=found.count(),
        limit=filters.limit,
        offset=filters.offset,
        items=[_destination_out(d) for d in page],
    )


@router.get(
    "/destinations/{code}",
    response={200: DestinationOut, 404: ErrorOut, 422: ErrorOut},
    summary="One destination",
)
def get_destination(request: HttpRequest, code: str = DESTINATION_CODE) -> DestinationOut:
    return _destination_out(selectors.destination_get(code=code))


@router.get(
    "/destinations/{code}/plans",
    response={200: list[PlanOut], 404: ErrorOut, 422: ErrorOut},
    summary="Plans usable in a destination (its own, its regions', global)",
)
def list_destination_plans(request: HttpRequest, code: str = DESTINATION_CODE) -> HttpResponse:
    # The same answer for everyone until the catalogue changes: serialised once
    # per worker and catalogue version (ADR 0016), as ninja would from PlanOut.
    body = cached(
        "api-plans",
        code.lower(),
        version=selectors.catalog_version(),
        build=lambda: _destination_plans_json(code),
    )
    return HttpResponse(body, content_type="application/json; charset=utf-8")


def _destination_plans_json(code: str) -> bytes:
    destination = selectors.destination_get(code=code)
    plans = list(selectors.plans_covering(destination=destination))
    networks = selectors.plan_networks(plans=plans)
    items = [_plan_out(p, networks[p.pk]).model_dump() for p in plans]
    return json.dumps(items, cls=NinjaJSONEncoder).encode()


@router.get(
    "/plans/{plan_id}", response={200: PlanOut, 404: ErrorOut, 422: ErrorOut}, summary="One plan"
)
def get_plan(request: HttpRequest, plan_id: uuid.UUID) -> PlanOut:
    plan = selectors.plan_get(public_id=plan_id)
    return _plan_out(plan, selectors.plan_networks(plans=[plan])[plan.pk])
