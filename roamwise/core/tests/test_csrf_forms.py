"""Every form that posts carries the CSRF token (SEC-07).

The pages are found from the URL resolver, so a new page is covered without
editing this test: every pattern without arguments is fetched as a visitor, as
a customer and as staff signed in with MFA, plus the main pages that take an
object (a plan, an order, an eSIM, a ticket, a hosted payment page, the back
office's change forms). Each ``<form method="post">`` must hold a
``csrfmiddlewaretoken`` input, and no page may answer 5xx.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from roamwise.accounts.models import User
from roamwise.catalog.models import Plan
from roamwise.gateway import services as gateway
from roamwise.support import services as support
from roamwise.testing.lines import esim_on_line, iccid
from roamwise.testing.people import staff_client

# Machine endpoints: JSON, files, or posts from other systems; not pages.
NOT_PAGES = (
    "_allauth/app/",
    "api/v1/",
    "analytics/collect",
    "gateway/v1/",
    "smdp/",
    "esims/es2plus/",
    "support/inbound-email",
    "healthz",
    "notifications/unread.json",
    "accounts/2fa/recovery-codes/download/",
    "admin/jsi18n/",
    "admin/autocomplete/",
)
LITERAL = re.compile(r"^[\w\-/.]*$")


def argument_free_paths(patterns: list[Any] | None = None, prefix: str = "") -> Iterator[str]:
    """Every URL in the resolver that needs no argument."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        pattern = entry.pattern
        if isinstance(pattern, RoutePattern):
            text = str(pattern)
            if "<" in text:
                continue
        else:
            text = pattern.regex.pattern.removeprefix("^").removesuffix("$").removesuffix(r"\Z")
            if not LITERAL.match(text):
                continue
        if isinstance(entry, URLResolver):
            yield from argument_free_paths(entry.url_patterns, prefix + text)
        elif isinstance(entry, URLPattern):
            yield "/" + prefix + text


class FormScan(HTMLParser):
    """Each post form on a page, and whether a CSRF token input sits inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._open: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form":
            method = (attributes.get("method") or "get").lower()
            self._open = {"action": attributes.get("action"), "post": method == "post"}
            self.forms.append({**self._open, "token": False})
        elif (
            tag == "input"
            and self._open is not None
            and attributes.get("name") == "csrfmiddlewaretoken"
            and attributes.get("value")
        ):
            self.forms[-1]["token"] = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


def post_forms_without_token(html: str) -> list[str]:
    scan = FormScan()
    scan.feed(html)
    return [str(form["action"]) for form in scan.forms if form["post"] and not form["token"]]


def object_pages(customer: User, plan: Plan) -> tuple[list[str], list[str]]:
    """Pages about one object: the customer's, and the back office's."""
    esim = esim_on_line(customer, plan, iccid(7))
    order = esim.order
    ticket = support.ticket_open(
        customer=customer, category="question", title="Roaming", body="Peru?"
    )
    session = gateway.session_create(
        amount=Decimal("9.00"),
        currency="EUR",
        description="Test",
        merchant_reference="ref-1",
        success_url="https://shop.example/ok",
        cancel_url="https://shop.example/cancel",
        webhook_url="https://shop.example/hook",
    )
    customer_pages = [
        f"/destinations/{plan.destination.slug}/",
        f"/plans/{plan.public_id}/",
        f"/checkout/{plan.public_id}/",
        f"/orders/{order.public_id}/",
        f"/esims/{esim.public_id}/",
        f"/esims/{esim.public_id}/top-up/",
        f"/support/tickets/{ticket.public_id}/",
        f"/gateway/pay/{session.id}/",
    ]
    staff_pages = [
        f"/admin/support/ticket/{ticket.pk}/change/",
        f"/admin/accounts/user/{customer.pk}/change/",
        f"/admin/orders/order/{order.pk}/change/",
        f"/admin/catalog/plan/{plan.pk}/change/",
    ]
    return customer_pages, staff_pages


def test_the_scan_finds_the_pages_and_forms() -> None:
    paths = set(argument_free_paths())
    assert {"/", "/accounts/login/", "/support/new/", "/admin/support/ticket/"} <= paths
    assert post_forms_without_token('<form method="POST" action="/x"></form>') == ["/x"]
    assert (
        post_forms_without_token(
            '<form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="t"></form>'
        )
        == []
    )
    assert post_forms_without_token('<form method="get" action="/search"></form>') == []


@pytest.mark.long
@pytest.mark.commitment("SEC-07")
def test_every_post_form_carries_the_csrf_token(alice: User, plan: Plan, stand_ins: None) -> None:
    customer_pages, staff_pages = object_pages(alice, plan)
    customer = Client()
    customer.force_login(alice)
    staff, _ = staff_client(None, "csrfstaff")
    visitors = {"visitor": Client(), "customer": customer, "staff": staff}
    pages = [p for p in argument_free_paths() if not p.removeprefix("/").startswith(NOT_PAGES)]

    missing: list[str] = []
    errors: list[str] = []
    checked = 0
    for persona, client in visitors.items():
        extra = {"customer": customer_pages, "staff": staff_pages}.get(persona, [])
        for path in [*pages, *extra]:
            response = client.get(path)
            if response.status_code >= 500:
                errors.append(f"{persona} {path}: {response.status_code}")
                continue
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                continue
            checked += 1
            missing += [
                f"{persona} {path}: form to {action}"
                for action in post_forms_without_token(response.content.decode())
            ]

    assert errors == []
    assert missing == []
    # The scan reached the pages it means to: the visitor, customer and staff pages.
    assert checked > 100
