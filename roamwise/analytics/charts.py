"""Charts drawn on the server as SVG: no third-party script on any page."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def column_chart(
    labels: Sequence[str], values: Sequence[int], *, title: str, width: int = 720, height: int = 220
) -> SafeString:
    """Vertical bars, one per label (days), with the largest value marked."""
    top = max(values, default=0) or 1
    left, bottom, right, top_pad = 40, 30, 10, 20
    plot_w, plot_h = width - left - right, height - bottom - top_pad
    step = plot_w / max(len(values), 1)
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="14">{top}</text>',
        f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{width - right}" '
        f'y2="{top_pad + plot_h}" stroke="#999"/>',
    ]
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        bar_h = plot_h * value / top
        x = left + index * step
        y = top_pad + plot_h - bar_h
        parts.append(
            f'<rect class="bar" x="{x + 1:.1f}" y="{y:.1f}" width="{max(step - 2, 1):.1f}" '
            f'height="{bar_h:.1f}"><title>{escape(label)}: {value}</title></rect>'
        )
        if len(values) <= 10 or index % max(len(values) // 6, 1) == 0:
            parts.append(f'<text x="{x:.1f}" y="{height - 8}">{escape(label)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every label is escaped above


def bar_list_chart(
    items: Sequence[tuple[str, int]], *, title: str, width: int = 720, row: int = 26
) -> SafeString:
    """Horizontal bars with their label and value: a funnel, a top ten."""
    top = max((value for _, value in items), default=0) or 1
    label_w = 150
    height = row * max(len(items), 1) + 10
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for index, (label, value) in enumerate(items):
        y = 5 + index * row
        bar_w = (width - label_w - 70) * value / top
        parts.append(f'<text x="0" y="{y + 16}">{escape(label)}</text>')
        parts.append(
            f'<rect class="bar" x="{label_w}" y="{y + 3}" width="{bar_w:.1f}" height="{row - 8}"/>'
        )
        parts.append(f'<text x="{label_w + bar_w + 6:.1f}" y="{y + 16}">{value}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every label is escaped above
