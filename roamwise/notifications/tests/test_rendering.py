"""Plain text is not HTML: subjects and text bodies are rendered without
HTML escaping; the HTML part still escapes what it shows."""

from __future__ import annotations

import pytest

from roamwise.notifications.rendering import render_message, render_text


def test_a_subject_and_a_text_body_are_not_html_escaped() -> None:
    rendered = render_message(
        "notifications/email/staff_alert",
        {"title": "Parent's erasure request <DR-1> & more", "message": 'She said "hi" & left.'},
    )

    assert rendered.subject == "[Roamwise] Parent's erasure request <DR-1> & more"
    assert rendered.text == 'She said "hi" & left.\n'
    assert "She said &quot;hi&quot; &amp; left." in rendered.html
    assert "<DR-1>" not in rendered.html


def test_only_plain_text_templates_are_rendered_unescaped() -> None:
    with pytest.raises(ValueError, match="not a plain-text template"):
        render_text("notifications/email/layout.html", {})
