"""Transport and browser security on every page (SEC-01, SEC-07; ADR 0015):
HSTS, cookie flags, a strict Content-Security-Policy, frame, referrer, opener
and permissions policies."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from roamwise.accounts.models import User
from roamwise.core.security import STRIPE_CHECKOUT_ORIGIN, origin, payment_form_targets
from roamwise.gateway import services as gateway
from roamwise.testing.people import PASSWORD

from .production import ROOT, production_env

STRICT_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}


def csp(response: Any) -> dict[str, list[str]]:
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


SHOW_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name) for name in (
    "DEBUG", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
    "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE", "CSRF_COOKIE_SECURE", "CSRF_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SAMESITE", "SECURE_PROXY_SSL_HEADER")}
    | {"form-action": s.CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"]}))
"""


def settings_under(env: dict[str, str]) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-c", SHOW_SETTINGS],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "roamwise.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout)


# --- Headers ---------------------------------------------------------------------


@pytest.mark.commitment("SEC-01")
@pytest.mark.django_db
def test_a_page_over_https_carries_every_security_header(client: Client) -> None:
    response = client.get("/", secure=True)

    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert csp(response) == STRICT_CSP
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    permissions = dict(
        item.strip().split("=", 1) for item in response["Permissions-Policy"].split(",")
    )
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert permissions[feature] == "()"
    assert "publickey-credentials-get" not in permissions  # WebAuthn stays on for us


@pytest.mark.commitment("SEC-07")
@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/accounts/login/", "/support/new/", "/api/docs", "/_allauth/openapi.html"]
)
def test_the_strict_policy_covers_sign_in_support_and_api_docs(client: Client, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 200
    assert csp(response) == STRICT_CSP
    body = response.content.decode()
    assert "cdn.jsdelivr.net" not in body  # API docs load Swagger UI from our static files


@pytest.mark.commitment("SEC-07")
def test_the_back_office_keeps_the_strict_policy(db: None) -> None:
    from roamwise.testing.people import staff_client

    response = staff_client(None, "headerstaff")[0].get("/admin/support/ticket/")

    assert response.status_code == 200
    assert csp(response) == STRICT_CSP


def test_plain_http_in_development_sends_no_hsts(client: Client, db: None) -> None:
    # Browsers ignore HSTS over plain HTTP; Django sends it on HTTPS only.
    assert "Strict-Transport-Security" not in client.get("/")


@pytest.mark.commitment("SEC-07")
def test_a_customer_attachment_keeps_its_own_sandboxed_policy(buyer: Client, alice: User) -> None:
    from roamwise.support import services as support
    from roamwise.support.attachments import Upload

    ticket = support.ticket_open(
        customer=alice,
        category="question",
        title="Screenshot",
        body="See attached",
        uploads=[Upload(filename="a.txt", content_type="text/plain", content=b"hello")],
    )
    attachment = ticket.messages.get().attachments.get()

    response = buyer.get(f"/support/tickets/{ticket.public_id}/attachments/{attachment.public_id}/")

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


# --- Cookies ---------------------------------------------------------------------


@pytest.mark.commitment("SEC-01")
def test_session_csrf_and_consent_cookies_are_secure_httponly_and_samesite(
    client: Client, alice: User, settings: Any
) -> None:
    # As in production behind TLS (an https SITE_URL sets both, see below).
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True

    page = client.get("/accounts/login/", secure=True)
    signed_in = client.post(
        "/accounts/login/", {"login": "alice", "password": PASSWORD}, secure=True
    )
    chose = client.post("/consent/choose/", {"choice": "reject_all", "next": "/"}, secure=True)
    anonymous = Client()
    visitor_chose = anonymous.post(
        "/consent/choose/", {"choice": "reject_all", "next": "/"}, secure=True
    )

    cookies = {
        "csrftoken": page.cookies["csrftoken"],
        "sessionid": signed_in.cookies["sessionid"],
        "rw_consent": visitor_chose.cookies["rw_consent"],
    }
    assert chose.status_code == 302 and visitor_chose.status_code == 302
    for name, cookie in cookies.items():
        assert (name, cookie["secure"], cookie["httponly"], cookie["samesite"]) == (
            name,
            True,
            True,
            "Lax",
        )


# --- Production settings ------------------------------------------------------------


@pytest.mark.commitment("SEC-01")
def test_production_settings_turn_on_tls_hsts_and_secure_cookies(tmp_path: Path) -> None:
    values = settings_under(production_env(tmp_path))

    assert values == {
        "DEBUG": False,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SAMESITE": "Lax",
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "form-action": ["'self'", STRIPE_CHECKOUT_ORIGIN],
    }


def test_debug_sends_no_hsts_and_preload_can_be_declined(tmp_path: Path) -> None:
    debugging = settings_under(production_env(tmp_path, DEBUG="true"))
    declined = settings_under(production_env(tmp_path, SECURE_HSTS_PRELOAD="false"))

    assert debugging["SECURE_HSTS_SECONDS"] == 0
    assert declined["SECURE_HSTS_PRELOAD"] is False
    assert declined["SECURE_HSTS_SECONDS"] == 31536000


def test_stripe_checkout_is_an_allowed_form_destination(tmp_path: Path) -> None:
    values = settings_under(
        production_env(
            tmp_path,
            PAYMENT_GATEWAY="stripe",
            STRIPE_API_KEY="sk_test_x",
            STRIPE_WEBHOOK_SECRET="whsec_x",
        )
    )

    assert values["form-action"] == ["'self'", STRIPE_CHECKOUT_ORIGIN]


def test_the_payment_page_origin_is_added_only_when_it_is_not_ours() -> None:
    site = "https://shop.example"
    assert (
        payment_form_targets(
            site_url=site, payment_gateway="simulated", gateway_url=f"{site}/gateway"
        )
        == []
    )
    assert payment_form_targets(
        site_url=site, payment_gateway="simulated", gateway_url="https://pay.example:8443/gw"
    ) == ["https://pay.example:8443"]
    assert payment_form_targets(
        site_url=site, payment_gateway="stripe", gateway_url=f"{site}/gateway"
    ) == [STRIPE_CHECKOUT_ORIGIN]
    assert origin("/relative") == ""


@pytest.mark.django_db
def test_the_hosted_payment_page_may_send_the_customer_back_to_the_merchant(
    client: Client, stand_ins: None
) -> None:
    session = gateway.session_create(
        amount=Decimal("9.00"),
        currency="EUR",
        description="Test",
        merchant_reference="ref-1",
        success_url="https://merchant.example/ok",
        cancel_url="https://merchant.example/cancel",
        webhook_url="https://merchant.example/hook",
    )

    response = client.get(f"/gateway/pay/{session.id}/")

    assert csp(response)["form-action"] == ["'self'", "https://merchant.example"]
    assert csp(response)["script-src"] == ["'self'"]
