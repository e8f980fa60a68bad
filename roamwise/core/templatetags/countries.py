"""``{{ code|country_name }}``: a country's CLDR name in the page's language."""

from __future__ import annotations

from django import template

from roamwise.core import countries

register = template.Library()


@register.filter
def country_name(code: str | None) -> str:
    return countries.country_name(code) if code else ""
