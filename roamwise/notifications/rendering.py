"""Turning a template and its context into a message: subject, text, HTML.

A message template is a prefix, allauth's convention: ``<prefix>_subject.txt``
(one line), ``<prefix>_message.txt`` and optionally ``<prefix>_message.html``,
which extends ``notifications/email/layout.html``. Without one, the text is
shown inside that layout, so every email carries the shop's branding.

Plain-text templates (``.txt``) are rendered without HTML autoescaping: a
subject or a text body is not HTML, and escaping it would show a reader
``Parent&#x27;s`` for ``Parent's``. HTML is escaped where it is made, in the
``.html`` templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template import Context, TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.utils.translation import gettext as _

from roamwise.core.identity import shop_identity


@dataclass(frozen=True)
class Rendered:
    title: str
    subject: str
    text: str
    html: str
    site_text: str


def render_text(name: str, context: dict[str, Any]) -> str:
    """A plain-text template, rendered without HTML autoescaping."""
    if not name.endswith(".txt"):
        raise ValueError(f"{name} is not a plain-text template")
    # The Django backend's template under the loader's wrapper: only its own
    # Context takes autoescape.
    template = get_template(name).template  # type: ignore[attr-defined]
    return str(template.render(Context(context, autoescape=False)))


def _optional(name: str, context: dict[str, Any]) -> str:
    try:
        return (
            render_text(name, context) if name.endswith(".txt") else render_to_string(name, context)
        )
    except TemplateDoesNotExist:
        return ""


def render_message(template: str, context: dict[str, Any]) -> Rendered:
    identity = shop_identity()
    context = {
        "site_name": identity.shop_name,
        "site_url": settings.SITE_URL,
        "primary_colour": identity.primary_colour or "#0b5cad",
        **context,
    }
    title = " ".join(render_text(f"{template}_subject.txt", context).split())
    body = render_text(f"{template}_message.txt", context).strip() + "\n"
    text = body
    unsubscribe_url = context.get("unsubscribe_url")
    if unsubscribe_url:
        text += "\n--\n" + _("No more offers, in one click: %(url)s") % {"url": unsubscribe_url}
        text += "\n"
    html = _optional(f"{template}_message.html", context) or render_to_string(
        "notifications/email/text_as_html.html", {**context, "text": body, "title": title}
    )
    return Rendered(
        title=title,
        subject=f"[{settings.SITE_NAME}] {title}",
        text=text,
        html=html,
        site_text=_optional(f"{template}_site.txt", context).strip(),
    )
