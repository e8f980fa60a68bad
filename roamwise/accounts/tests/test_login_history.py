"""Sign-ins are logged with browser family, device kind and country, never the
address, and shown to the customer (AUT-01)."""

from __future__ import annotations

import pytest
from django.test import Client

from roamwise.accounts.devices import device_info
from roamwise.accounts.models import LoginEvent, User
from roamwise.testing.people import PASSWORD

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
FRENCH_IP = "81.56.0.1"


@pytest.mark.commitment("AUT-01")
def test_a_sign_in_is_logged_without_the_ip_address(client: Client, alice: User) -> None:
    client.post(
        "/accounts/login/",
        {"login": "alice", "password": PASSWORD},
        HTTP_USER_AGENT=IPHONE,
        REMOTE_ADDR=FRENCH_IP,
    )

    event = LoginEvent.objects.get(user=alice)
    assert (event.browser_family, event.os_family, event.device_type, event.country) == (
        "Mobile Safari",
        "iOS",
        "mobile",
        "FR",
    )
    stored = " ".join(str(getattr(event, f.attname)) for f in LoginEvent._meta.concrete_fields)
    assert FRENCH_IP not in stored and "17_0" not in stored


@pytest.mark.commitment("AUT-01")
def test_a_failed_sign_in_logs_nothing(client: Client, alice: User) -> None:
    client.post("/accounts/login/", {"login": "alice", "password": "wrong password 1"})
    assert LoginEvent.objects.count() == 0


@pytest.mark.commitment("AUT-01")
def test_the_customer_sees_their_sign_ins_and_no_one_elses(
    client: Client, alice: User, bob: User
) -> None:
    other = Client()
    other.post("/accounts/login/", {"login": "bob", "password": PASSWORD}, HTTP_USER_AGENT=IPHONE)
    client.post(
        "/accounts/login/",
        {"login": "alice", "password": PASSWORD},
        HTTP_USER_AGENT=FIREFOX_LINUX,
        REMOTE_ADDR=FRENCH_IP,
    )

    html = client.get("/account/").content.decode()

    assert "Recent sign-ins" in html
    assert "Firefox on Linux" in html and "France" in html  # CLDR's name of FR
    assert "Mobile Safari" not in html


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        (IPHONE, ("Mobile Safari", "iOS", "mobile")),
        (FIREFOX_LINUX, ("Firefox", "Linux", "desktop")),
        (
            "Mozilla/5.0 (iPad; CPU OS 16_0 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/16.0 Mobile/15E148 Safari/604.1",
            ("Mobile Safari", "iOS", "tablet"),
        ),
        ("", ("Other", "Other", "other")),
    ],
)
def test_device_info(agent: str, expected: tuple[str, str, str]) -> None:
    info = device_info(agent)
    assert (info.browser_family, info.os_family, info.device_type) == expected
