"""Policy markdown to HTML, safely (POL-01).

markdown-it-py in CommonMark mode with raw HTML off: any HTML in a policy text
is shown as text, never rendered, and its link validation refuses
``javascript:``, ``vbscript:``, ``file:`` and ``data:`` addresses. So what it
returns can go into a page as it is, whoever wrote the text.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from itertools import pairwise

from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from markdown_it import MarkdownIt


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
        "table"
    )


def heading_ids(text: str) -> list[str]:
    """The ids ``markdown_to_html`` gives the second-level headings of ``text``."""
    tokens = _parser().parse(text, {})
    return [
        slugify(inline.content)
        for heading, inline in pairwise(tokens)
        if heading.type == "heading_open" and heading.tag == "h2"
    ]


def markdown_to_html(text: str, ids: Sequence[str] = ()) -> SafeString:
    """The HTML of ``text``; every second-level heading gets an id from its words
    ("## Refunds" is ``#refunds``), so other pages can link to a section. A
    translation passes the original's ``ids`` (``heading_ids``), so that
    ``#refunds`` still leads to its refunds, whatever they are called."""
    parser = _parser()
    env: dict[str, object] = {}
    tokens = parser.parse(text, env)
    number = 0
    for heading, inline in pairwise(tokens):
        if heading.type == "heading_open" and heading.tag == "h2":
            given = ids[number] if number < len(ids) else ""
            heading.attrSet("id", given or slugify(inline.content))
            number += 1
    html = parser.renderer.render(tokens, parser.options, env)
    return mark_safe(html)  # noqa: S308 - raw HTML is disabled above
