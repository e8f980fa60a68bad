"""sitemap.xml: the shop's public pages, for search engines (django.contrib.sitemaps)."""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap
from django.db.models import QuerySet
from django.urls import reverse

from .models import Destination, Plan


class PageSitemap(Sitemap):
    """The pages that are not the catalogue's: help, guides, terms, policies."""

    changefreq = "monthly"

    def items(self) -> list[str]:
        return [
            "catalog:home",
            "catalog:destination_list",
            "help:index",
            "terms",
            "company",
            "privacy_policy",
            "devices:compatibility",
        ]

    def location(self, item: str) -> str:
        return reverse(item)


class GuideSitemap(Sitemap):
    changefreq = "monthly"

    def items(self) -> list[str]:
        return ["iphone", "pixel", "samsung", "android"]

    def location(self, item: str) -> str:
        return reverse("help:install", args=[item])


class DestinationSitemap(Sitemap):
    changefreq = "weekly"

    def items(self) -> QuerySet[Destination]:
        return Destination.objects.only("slug").order_by("kind", "name")

    def location(self, item: Destination) -> str:
        return reverse("catalog:destination_detail", args=[item.slug])


class PlanSitemap(Sitemap):
    changefreq = "weekly"

    def items(self) -> QuerySet[Plan]:
        return Plan.objects.filter(is_active=True).only("public_id").order_by("pk")

    def location(self, item: Plan) -> str:
        return reverse("catalog:plan_detail", args=[item.public_id])


SITEMAPS = {
    "pages": PageSitemap,
    "guides": GuideSitemap,
    "destinations": DestinationSitemap,
    "plans": PlanSitemap,
}
