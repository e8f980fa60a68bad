"""The banner, the settings page, Global Privacy Control, objections and the API."""

from __future__ import annotations

import pytest
from django.test import Client

from roamwise.accounts.models import User
from roamwise.consent import selectors
from roamwise.consent.middleware import COOKIE_NAME
from roamwise.consent.models import OPTIONAL_PURPOSES, ConsentRecord

ESSENTIAL_COOKIES = {"csrftoken", "sessionid", COOKIE_NAME}


def page(client: Client, path: str = "/", **headers: str) -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.commitment("CKE-02")
def test_first_visit_shows_the_banner_and_sets_nothing_optional(
    client: Client, catalog: None
) -> None:
    response = client.get("/")
    html = response.content.decode()

    assert 'id="consent-banner"' in html
    assert set(response.cookies) <= ESSENTIAL_COOKIES
    assert COOKIE_NAME not in response.cookies
    assert "analytics.js" not in html
    assert ConsentRecord.objects.count() == 0


@pytest.mark.commitment("CKE-02")
def test_accept_reject_and_choose_carry_equal_weight(client: Client, catalog: None) -> None:
    html = page(client)
    banner = html[
        html.index('id="consent-banner"') : html.index(
            "</section>", html.index('id="consent-banner"')
        )
    ]

    for label in ("Accept all", "Reject all", "Choose"):
        assert 'class="consent-button"' in banner
        assert f">{label}</" in banner
    assert banner.count('class="consent-button"') == 3


@pytest.mark.commitment("CKE-02")
@pytest.mark.parametrize(("choice", "granted"), [("accept_all", True), ("reject_all", False)])
def test_one_click_on_the_banner_records_every_purpose(
    client: Client, catalog: None, choice: str, granted: bool
) -> None:
    page(client)
    response = client.post("/consent/choose/", {"choice": choice, "next": "/destinations/"})

    assert response.status_code == 302 and response["Location"] == "/destinations/"
    visitor = client.cookies[COOKIE_NAME].value
    assert visitor
    records = ConsentRecord.objects.all()
    assert sorted(r.purpose for r in records) == sorted(OPTIONAL_PURPOSES)
    assert {(r.granted, r.source, r.user_id) for r in records} == {(granted, "banner", None)}
    html = page(client)
    assert 'id="consent-banner"' not in html
    assert ("analytics.js" in html) is granted


def test_the_banner_refuses_other_choices_and_foreign_redirects(
    client: Client, catalog: None
) -> None:
    assert client.post("/consent/choose/", {"choice": "maybe"}).status_code == 400
    assert ConsentRecord.objects.count() == 0
    response = client.post(
        "/consent/choose/", {"choice": "reject_all", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_the_banner_answers_json_for_its_script(client: Client, catalog: None) -> None:
    response = client.post(
        "/consent/choose/", {"choice": "accept_all"}, headers={"Accept": "application/json"}
    )
    assert response.json()["analytics"] is True
    assert response.json()["analytics_script"].endswith("analytics/analytics.js")


@pytest.mark.commitment("CKE-03")
def test_settings_page_changes_choices_any_time(client: Client, catalog: None) -> None:
    client.post("/consent/choose/", {"choice": "accept_all"})
    html = page(client, "/cookies/")
    assert 'name="analytics"' in html and "checked" in html

    response = client.post("/cookies/", {"preferences": "on"})

    assert response.status_code == 302
    visitor = client.cookies[COOKIE_NAME].value.split(":")[0]
    choices = selectors.consent_choices(visitor_id=visitor)
    assert choices["preferences"] is True
    assert all(choices[p] is False for p in OPTIONAL_PURPOSES if p != "preferences")
    settings_records = ConsentRecord.objects.filter(source="settings")
    assert settings_records.count() == len(OPTIONAL_PURPOSES) - 1  # preferences unchanged
    assert "analytics.js" not in page(client)


@pytest.mark.commitment("CKE-03")
def test_every_footer_links_to_cookie_settings(client: Client, catalog: None) -> None:
    for path in ("/", "/destinations/", "/privacy/", "/devices/compatibility/"):
        assert 'href="/cookies/"' in page(client, path), path


@pytest.mark.commitment("CKE-03")
def test_gpc_is_recorded_once_for_a_customer_and_the_banner_says_so(
    client: Client, alice: User, catalog: None
) -> None:
    client.force_login(alice)

    html = page(client, "/", **{"Sec-GPC": "1"})
    page(client, "/destinations/", **{"Sec-GPC": "1"})
    client.logout()
    client.force_login(alice)
    page(client, "/", **{"Sec-GPC": "1"})

    records = ConsentRecord.objects.filter(user=alice)
    assert sorted((r.purpose, r.granted, r.source) for r in records) == [
        ("marketing", False, "gpc"),
        ("partner_sharing", False, "gpc"),
        ("personalisation", False, "gpc"),
    ]
    assert 'id="gpc-note"' in html and 'id="consent-banner"' in html


@pytest.mark.commitment("CKE-03")
def test_gpc_visitor_accepting_all_still_gets_the_gpc_purposes_off(
    client: Client, catalog: None
) -> None:
    gpc = {"Sec-GPC": "1"}
    page(client, "/", **gpc)
    assert ConsentRecord.objects.count() == 0  # no id yet, nothing to record against

    client.post("/consent/choose/", {"choice": "accept_all"}, headers=gpc)
    page(client, "/", **gpc)

    records = ConsentRecord.objects.all()
    by_purpose = {(r.purpose, r.source): r.granted for r in records}
    assert by_purpose == {
        ("marketing", "gpc"): False,
        ("partner_sharing", "gpc"): False,
        ("personalisation", "gpc"): False,
        ("analytics", "banner"): True,
        ("preferences", "banner"): True,
        ("location", "banner"): True,
    }
    html = page(client, "/cookies/", **gpc)
    assert html.count("(off: Global Privacy Control)") == 3


@pytest.mark.commitment("CKE-03")
def test_gpc_in_a_request_turns_off_its_purposes_even_after_a_grant(alice: User) -> None:
    from django.test import RequestFactory

    from roamwise.consent.middleware import RequestConsent
    from roamwise.consent.services import consent_choices_save

    consent_choices_save(
        choices=dict.fromkeys(OPTIONAL_PURPOSES, True), source="settings", user=alice
    )
    request = RequestFactory().get("/", headers={"Sec-GPC": "1"})
    request.user = alice
    consent = RequestConsent(request)

    assert consent.allows("marketing") is False
    assert consent.allows("personalisation") is False
    assert consent.allows("analytics") is True


@pytest.mark.commitment("RGT-06")
def test_objection_switches_in_the_account_take_effect_at_once(
    client: Client, alice: User, catalog: None
) -> None:
    client.force_login(alice)
    client.post("/consent/choose/", {"choice": "accept_all"})
    assert "analytics.js" in page(client, "/")
    html = page(client, "/account/")
    assert 'action="/consent/objections/"' in html

    response = client.post("/consent/objections/", {"analytics": "on"})

    assert response.status_code == 302
    assert "analytics.js" not in page(client, "/")
    assert selectors.has_consent(purpose="analytics", user=alice) is False
    assert selectors.has_consent(purpose="marketing", user=alice) is True
    assert 'name="analytics" checked' in page(client, "/account/").replace('id="id_analytics" ', "")


def test_objections_need_a_signed_in_customer(client: Client) -> None:
    response = client.post("/consent/objections/", {"analytics": "on"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.commitment("RGT-05")
def test_api_reads_and_changes_consent(client: Client, alice: User) -> None:
    client.force_login(alice)
    assert client.get("/api/v1/consent").json()["choices"]["marketing"] is None

    response = client.put(
        "/api/v1/consent", {"marketing": True, "analytics": False}, content_type="application/json"
    )

    body = response.json()
    assert response.status_code == 200
    assert body["choices"]["marketing"] is True and body["effective"]["marketing"] is True
    assert {r["source"] for r in body["history"]} == {"api"}
    response = client.put(
        "/api/v1/consent/objections", {"marketing": True}, content_type="application/json"
    )
    assert response.json()["effective"]["marketing"] is False


@pytest.mark.parametrize(
    "body", [{"tracking": True}, {"marketing": "maybe"}, {"essential": False}, []]
)
def test_api_refuses_bad_input_with_422(client: Client, alice: User, body: object) -> None:
    client.force_login(alice)
    response = client.put("/api/v1/consent", body, content_type="application/json")
    assert response.status_code == 422
    assert ConsentRecord.objects.count() == 0


def test_api_needs_a_customer(client: Client) -> None:
    assert client.get("/api/v1/consent").status_code == 401


@pytest.mark.commitment("AUT-01")
def test_the_site_adapts_its_language_to_accept_language(client: Client, catalog: None) -> None:
    from django.test import override_settings

    html = page(client, "/", **{"Accept-Language": "de-DE,de;q=0.9"})
    assert '<html lang="de">' in html
    assert 'name="viewport"' in html  # and the layout adapts to the screen
    with override_settings(LANGUAGES=[("en", "English"), ("fr", "Français")]):
        # A language the shop does not offer: the default.
        other = page(client, "/", **{"Accept-Language": "de-DE,de;q=0.9"})
    assert '<html lang="en">' in other


JAPANESE_IP = "133.242.0.1"  # iptocc says JP


def _columns_holding(value: str) -> set[str]:
    """Every short text column of every table, read with SQL, holding ``value``."""
    from django.apps import apps
    from django.db import connections, models, router

    found = set()
    for model in apps.get_models():
        alias = router.db_for_read(model) or "default"
        db = connections[alias]
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.CharField) or (field.max_length or 99) > 8:
                continue
            table, column = db.ops.quote_name(model._meta.db_table), db.ops.quote_name(field.column)
            with db.cursor() as cursor:
                # Quoted names of our own tables; the value is a parameter.
                sql = f"SELECT COUNT(*) FROM {table} WHERE UPPER({column}) = %s"  # noqa: S608
                cursor.execute(sql, [value])
                if cursor.fetchone()[0]:
                    found.add(f"{model._meta.label}.{field.name}")
    return found


@pytest.mark.commitment("AUT-03")
def test_rejecting_all_from_abroad_stores_no_location_but_what_is_declared_without_consent(
    client: Client, catalog: None, alice: User
) -> None:
    from roamwise.testing.people import PASSWORD

    page(client, REMOTE_ADDR=JAPANESE_IP)
    client.post("/consent/choose/", {"choice": "reject_all"}, REMOTE_ADDR=JAPANESE_IP)
    client.post(
        "/analytics/collect",
        '{"kind": "pageview", "path": "/"}',
        content_type="application/json",
        REMOTE_ADDR=JAPANESE_IP,
    )
    client.post(
        "/accounts/login/", {"login": "alice", "password": PASSWORD}, REMOTE_ADDR=JAPANESE_IP
    )
    client.post("/consent/choose/", {"choice": "reject_all"}, REMOTE_ADDR=JAPANESE_IP)

    assert ConsentRecord.objects.filter(granted=False).count() == 2 * len(OPTIONAL_PURPOSES)
    stored = _columns_holding("JP")
    assert stored == {"accounts.LoginEvent.country"}
    # Where the country is kept without consent, the data map says why, and
    # the policy page shows it.
    from roamwise.governance.selectors import location_declarations

    consent_free = {
        f"{d.model}.{f.name}"
        for d in location_declarations()
        if d.legal_basis != "consent"
        for f in d.fields
        if f.category == "user.location.imprecise"
    }
    assert stored <= consent_free
    policy = client.get("/privacy/").content.decode()
    section = policy[
        policy.index('id="location"') : policy.index("</section>", policy.index('id="location"'))
    ]
    assert 'id="location-accounts-loginevent"' in section
    assert "Protect accounts and the service against fraud and abuse" in section
    assert "12 months" in section
    assert 'id="location-analytics-event"' in section
    assert "only with your consent to location" in section


@pytest.mark.commitment("AUT-03")
def test_analytics_keep_the_country_only_with_consent_to_location(
    client: Client, catalog: None
) -> None:
    from roamwise.analytics.models import Event

    def pageview() -> None:
        client.post(
            "/analytics/collect",
            '{"kind": "pageview", "path": "/"}',
            content_type="application/json",
            REMOTE_ADDR=JAPANESE_IP,
        )

    client.post("/cookies/", {"analytics": "on"})
    pageview()
    client.post("/cookies/", {"analytics": "on", "location": "on"})
    pageview()

    assert list(Event.objects.order_by("pk").values_list("country", flat=True)) == ["", "JP"]
