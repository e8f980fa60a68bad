from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from . import guides


def help_index(request: HttpRequest) -> HttpResponse:
    """The help centre: install guides by phone, and the questions travellers ask."""
    context = {
        "guides": guides.GUIDES,
        "suggested": guides.guide_for_user_agent(request.headers.get("User-Agent", "")),
    }
    return render(request, "help/index.html", context)


def install_guide(request: HttpRequest, platform: str) -> HttpResponse:
    guide = guides.guide_get(platform)
    if guide is None:
        raise Http404("No install guide for that phone.")
    others = [g for g in guides.GUIDES if g.slug != guide.slug]
    return render(request, "help/install.html", {"guide": guide, "others": others})
