"""The cookie policy (POL-04): generated from the storage declarations,
versioned, linked from every page, and covering every storage key the site's
scripts use. The browser walk is e2e/test_cookie_policy.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.utils.html import escape

from roamwise.consent import storage

ROAMWISE = Path(__file__).resolve().parents[2]
STORAGE_KEY = re.compile(
    r"\b(localStorage|sessionStorage)\s*(?:\.\s*(?:setItem|getItem|removeItem)\s*\(\s*|\[\s*)"
    r"[\"'`]([^\"'`]+)[\"'`]"
)
COOKIE_WRITE = re.compile(r"document\s*\.\s*cookie\s*=[^=]")


def storage_keys_in(script: str) -> set[tuple[str, str]]:
    return {(kind, key) for kind, key in STORAGE_KEY.findall(script)}


@pytest.mark.commitment("POL-04")
def test_every_storage_key_in_the_sites_scripts_is_declared() -> None:
    scripts = sorted(ROAMWISE.glob("*/static/**/*.js"))
    declared = storage.declared_names()

    assert len(scripts) >= 5  # the scan finds the site's scripts
    undeclared = {
        (path.relative_to(ROAMWISE).as_posix(), kind, key)
        for path in scripts
        for kind, key in storage_keys_in(path.read_text())
        if key not in declared[kind]
    }
    writes_cookies = [p.name for p in scripts if COOKIE_WRITE.search(p.read_text())]
    assert undeclared == set()
    assert writes_cookies == []
    # The scan is not blind.
    assert storage_keys_in('localStorage.setItem("rw_tab", 1); sessionStorage["draft"] = x;') == {
        ("localStorage", "rw_tab"),
        ("sessionStorage", "draft"),
    }
    assert COOKIE_WRITE.search('document.cookie = "a=b"')


@pytest.mark.commitment("POL-04")
def test_a_change_to_the_declarations_needs_a_new_policy_version(settings: object) -> None:
    versions = storage.COOKIE_POLICY_VERSIONS
    in_force = storage.cookie_policy_in_force()

    assert in_force.fingerprint == storage.storage_fingerprint()
    assert [v.effective_on for v in versions] == sorted(v.effective_on for v in versions)
    assert len({v.version for v in versions}) == len(versions)
    # A longer session is a different policy: the fingerprint moves with it.
    settings.SESSION_COOKIE_AGE = 30 * 86400  # type: ignore[attr-defined]
    assert storage.storage_fingerprint() != in_force.fingerprint


@pytest.mark.commitment("POL-04")
@pytest.mark.commitment("CKE-01")
@pytest.mark.django_db
def test_the_policy_page_lists_every_declared_item_with_purpose_lifetime_and_category(
    client: Client, settings: object
) -> None:
    page = client.get("/cookies/policy/").content.decode()

    version = storage.cookie_policy_in_force()
    assert f"Version {version.version}" in page
    assert f'id="cookie-policy-{version.version}"' in page
    items = storage.browser_storage()
    assert {i.name for i in items} >= {"sessionid", "csrftoken", "rw_consent", "messages"}
    for item in items:
        row = re.search(rf'<tr id="stored-{item.kind}-{re.escape(item.name)}">.*?</tr>', page)
        assert row, item.name
        assert escape(str(item.purpose)) in row.group(0), item.name
        assert item.lifetime in row.group(0), item.name
        section = page.split(f'<section id="cookies-{item.category.value}"', 1)[1]
        assert section.split("</section>", 1)[0].count(f'id="stored-{item.kind}-{item.name}"') == 1
    assert "14 days" in page and "13 months" in page
    # From the settings that set them: a different session length shows at once.
    settings.SESSION_COOKIE_AGE = 30 * 86400  # type: ignore[attr-defined]
    assert "30 days" in client.get("/cookies/policy/").content.decode()


@pytest.mark.commitment("POL-04")
@pytest.mark.django_db
def test_the_policy_is_linked_from_the_footer_the_banner_and_the_settings(
    client: Client,
) -> None:
    home = client.get("/").content.decode()
    banner = re.search(r'<section class="consent-banner".*?</section>', home, re.S)
    settings_page = client.get("/cookies/").content.decode()

    assert banner and 'href="/cookies/policy/"' in banner.group(0)
    footer = re.search(r"<footer.*?</footer>", home, re.S)
    assert footer and 'href="/cookies/policy/"' in footer.group(0)
    assert 'href="/cookies/policy/"' in settings_page.split('id="cookie-policy-link"', 1)[1]
