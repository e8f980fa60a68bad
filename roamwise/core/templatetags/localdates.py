"""``{{ order.created_at|local_date }}``, ``{{ day|local_date:"medium" }}``,
``{{ message.created_at|local_datetime }}``: every date a customer reads is
written by ``core.dates`` in the current language (ADR 0027)."""

from __future__ import annotations

import datetime as dt

from django import template

from roamwise.core import dates

register = template.Library()


@register.filter
def local_date(value: dt.date | dt.datetime | None, style: str = "long") -> str:
    return dates.local_date(value, style)


@register.filter
def local_datetime(value: dt.datetime | None, style: str = "medium") -> str:
    """``style`` "medium" or "long" (the month in full); "zone" is "long"
    with the time zone's name, for emails."""
    if style == "zone":
        return dates.local_datetime(value, "long", zone=True)
    return dates.local_datetime(value, style)
