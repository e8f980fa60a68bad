"""The cookie policy against a real browser (POL-04): Chromium walks the main
pages, as a visitor who accepts, one who rejects, and a signed-in customer,
and no cookie or storage key appears that the policy does not declare."""

from __future__ import annotations

from typing import Any

import pytest

from roamwise.catalog.models import Plan
from roamwise.catalog.services import catalog_load_demo
from roamwise.consent import storage
from roamwise.testing.people import PASSWORD, make_customer

# The visitor's walk: home, a destination, a plan, sign-up and sign-in.
VISITOR_PAGES = (
    "/",
    "/destinations/",
    "/destinations/jp/",
    "{plan}",
    "/accounts/signup/",
    "/accounts/login/",
    "/support/new/",
    "/cookies/",
    "/cookies/policy/",
)
SIGNED_IN_PAGES = (
    "/account/",
    "/orders/",
    "/esims/",
    "/support/",
    "/notifications/",
    "/rights/",
    "/cookies/",
)


def stored(page: Any) -> dict[str, set[str]]:
    """Every cookie and storage key the browser holds for the site now."""
    keys = page.evaluate(
        "() => [Object.keys(window.localStorage), Object.keys(window.sessionStorage)]"
    )
    return {
        "cookie": {cookie["name"] for cookie in page.context.cookies()},
        "localStorage": set(keys[0]),
        "sessionStorage": set(keys[1]),
    }


class Walk:
    """Everything seen on a walk, and where it first appeared."""

    def __init__(self, page: Any, base: str) -> None:
        self.page, self.base = page, base
        self.seen: dict[tuple[str, str], str] = {}

    def note(self) -> None:
        for kind, names in stored(self.page).items():
            for name in names:
                self.seen.setdefault((kind, name), self.page.url)

    def visit(self, path: str) -> None:
        self.page.goto(self.base + path)
        self.page.wait_for_load_state("networkidle")
        self.note()

    def undeclared(self) -> list[str]:
        declared = storage.declared_names()
        return sorted(
            f"{kind} {name} (first on {url})"
            for (kind, name), url in self.seen.items()
            if name not in declared[kind]
        )


def plan_path() -> str:
    plan = Plan.objects.filter(destination__slug="jp").first() or Plan.objects.first()
    assert plan is not None
    return f"/plans/{plan.public_id}/"


@pytest.mark.browser
@pytest.mark.commitment("POL-04")
@pytest.mark.parametrize("choice", ["Accept all", "Reject all"])
def test_no_undeclared_cookie_or_storage_key_before_and_after_a_choice(
    live_server: Any, transactional_db: None, page: Any, choice: str
) -> None:
    catalog_load_demo()
    walk = Walk(page, live_server.url)
    pages = [path.format(plan=plan_path()) for path in VISITOR_PAGES]

    for path in pages:
        walk.visit(path)
    walk.visit("/")
    page.get_by_role("button", name=choice).click()
    page.locator("#consent-banner").wait_for(state="detached")
    walk.note()
    for path in pages:
        walk.visit(path)
    # Saving a choice in the settings carries a message to the next page.
    walk.visit("/cookies/")
    page.get_by_role("button", name="Save my choices").click()
    page.wait_for_load_state("networkidle")
    walk.note()

    assert ("cookie", "rw_consent") in walk.seen  # the walk sees what the site sets
    assert walk.undeclared() == []


@pytest.mark.browser
@pytest.mark.commitment("POL-04")
def test_no_undeclared_cookie_or_storage_key_for_a_signed_in_customer(
    live_server: Any, transactional_db: None, page: Any
) -> None:
    catalog_load_demo()
    make_customer("walker")
    walk = Walk(page, live_server.url)

    walk.visit("/accounts/login/")
    page.get_by_label("Login:").fill("walker")
    page.get_by_label("Password:").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_load_state("networkidle")
    walk.note()
    for path in (*SIGNED_IN_PAGES, "/", "/destinations/jp/", plan_path()):
        walk.visit(path)

    assert ("cookie", "sessionid") in walk.seen
    assert walk.undeclared() == []
