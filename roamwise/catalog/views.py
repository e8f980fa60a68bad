from __future__ import annotations

import uuid

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from roamwise.core.errors import NotFound

from . import selectors
from .models import Destination

SEARCH_RESULTS_LIMIT = 60


def home(request: HttpRequest) -> HttpResponse:
    context = {
        "popular": selectors.destination_popular(limit=12),
        "regions": selectors.destination_regions(),
    }
    return render(request, "catalog/home.html", context)


def destination_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:100]
    results = list(selectors.destination_search(query=query)[: SEARCH_RESULTS_LIMIT + 1])
    context = {
        "query": query,
        "results": results[:SEARCH_RESULTS_LIMIT],
        "truncated": len(results) > SEARCH_RESULTS_LIMIT,
    }
    return render(request, "catalog/destination_list.html", context)


def destination_detail(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        destination = selectors.destination_get(code=slug)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    plans = list(selectors.plans_covering(destination=destination))
    context = {
        "destination": destination,
        "own_plans": [p for p in plans if p.destination_id == destination.pk],
        "wider_plans": [p for p in plans if p.destination_id != destination.pk],
        "is_country": destination.kind == Destination.Kind.COUNTRY,
    }
    return render(request, "catalog/destination_detail.html", context)


def plan_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    try:
        plan = selectors.plan_get(public_id=public_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return render(request, "catalog/plan_detail.html", {"plan": plan})
