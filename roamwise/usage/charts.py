"""A daily usage bar chart as inline SVG, drawn on the server: readable without
JavaScript, with a title and description for screen readers, and the figures
themselves in a table beside it on the page."""

from __future__ import annotations

import datetime as dt

from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from roamwise.core.dates import local_date

WIDTH = 600
HEIGHT = 160
BOTTOM = 20  # room for the date labels


def daily_usage_svg(series: list[tuple[dt.date, int]]) -> SafeString:
    peak = max((value for _, value in series), default=0)
    slot = WIDTH / max(1, len(series))
    bar = max(1.0, slot * 0.7)
    plot = HEIGHT - BOTTOM
    bars = []
    for index, (day, value) in enumerate(series):
        height = 0.0 if peak == 0 else plot * value / peak
        x = index * slot + (slot - bar) / 2
        bars.append(
            (
                f"{x:.1f}",
                f"{plot - height:.1f}",
                f"{bar:.1f}",
                f"{height:.1f}",
                f"{local_date(day, 'day')}: {filesizeformat(value)}",
            )
        )
    rects = format_html_join(
        "",
        '<rect class="usage-bar" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>',
        bars,
    )
    labels = format_html_join(
        "",
        '<text x="{}" y="{}" font-size="10" text-anchor="start">{}</text>',
        [
            (f"{index * slot:.1f}", HEIGHT - 5, local_date(day, "day"))
            for index, (day, _) in enumerate(series)
            if index % 7 == 0
        ],
    )
    summary = (
        gettext("Data used per day from %(first)s to %(last)s; the busiest day used %(peak)s.")
        % {
            "first": local_date(series[0][0], "day"),
            "last": local_date(series[-1][0], "day"),
            "peak": filesizeformat(peak),
        }
        if series
        else gettext("No usage yet.")
    )
    return format_html(
        '<svg class="usage-chart" role="img" aria-labelledby="usage-chart-title usage-chart-desc" '
        'viewBox="0 0 {} {}" width="100%" preserveAspectRatio="none" '
        'xmlns="http://www.w3.org/2000/svg">'
        '<title id="usage-chart-title">{}</title>'
        '<desc id="usage-chart-desc">{}</desc>'
        '<line x1="0" y1="{}" x2="{}" y2="{}" stroke="currentColor" stroke-width="0.5"/>'
        "{}{}</svg>",
        WIDTH,
        HEIGHT,
        gettext("Daily data usage"),
        summary,
        plot,
        WIDTH,
        plot,
        rects,
        labels,
    )
