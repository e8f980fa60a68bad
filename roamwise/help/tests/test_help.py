"""The help centre: FAQ, install guides per phone, and the guide for the phone in hand."""

from __future__ import annotations

import pytest
from django.test import Client

from roamwise.help.guides import GUIDES, guide_for_user_agent

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
PIXEL = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36"
)
SAMSUNG = (
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36"
)
# Chrome's reduced User-Agent hides the model.
REDUCED_ANDROID = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)
DESKTOP = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


@pytest.mark.parametrize(
    "user_agent,expected",
    [
        (IPHONE, "iphone"),
        (PIXEL, "pixel"),
        (SAMSUNG, "samsung"),
        (REDUCED_ANDROID, "android"),
        (DESKTOP, None),
        (IPAD, None),
        ("", None),
    ],
)
def test_the_guide_follows_the_phone_in_hand(user_agent: str, expected: str | None) -> None:
    guide = guide_for_user_agent(user_agent)

    assert (guide.slug if guide else None) == expected


def test_every_guide_covers_the_four_steps() -> None:
    assert [g.slug for g in GUIDES] == ["iphone", "pixel", "samsung", "android"]
    for guide in GUIDES:
        assert [s.key for s in guide.sections] == ["install", "roaming", "data", "trouble"]
        assert all(section.steps for section in guide.sections)


def test_help_centre_lists_guides_and_questions(client: Client) -> None:
    response = client.get("/help/")
    text = response.content.decode()

    assert response.status_code == 200
    for slug in ("iphone", "pixel", "samsung", "android"):
        assert f'href="/help/install/{slug}/"' in text
    assert "When should I install it?" in text
    assert "Do I get a phone number?" in text
    assert 'href="/terms/#refunds"' in text
    # A desktop visitor is not told which phone they use.
    assert "You seem to be on" not in text


def test_help_centre_suggests_the_guide_for_the_phone(client: Client) -> None:
    text = client.get("/help/", headers={"user-agent": SAMSUNG}).content.decode()

    assert "You seem to be on Samsung Galaxy" in text


def test_an_install_guide_walks_through_the_steps(client: Client) -> None:
    response = client.get("/help/install/samsung/")
    text = response.content.decode()

    assert response.status_code == 200
    assert "Install your eSIM on Samsung Galaxy" in text
    for anchor in ("install", "roaming", "data", "trouble"):
        assert f'id="{anchor}"' in text
    assert "SIM manager" in text
    assert 'href="/help/install/iphone/"' in text  # the other phones


def test_an_unknown_phone_has_no_guide(client: Client) -> None:
    assert client.get("/help/install/nokia-3310/").status_code == 404


def test_footer_links_help_terms_and_company(client: Client) -> None:
    text = client.get("/help/").content.decode()

    for href in (
        "/help/",
        "/terms/",
        "/terms/#refunds",
        "/terms/#right-of-withdrawal",
        "/company/",
    ):
        assert f'href="{href}"' in text
