"""First-party analytics: consent first, no IP, rotating ids, aggregation that
drops identifiers, and the staff dashboard."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from roamwise.accounts.models import User
from roamwise.analytics import selectors, services
from roamwise.analytics.models import DailyCount, Event
from roamwise.datamap.registry import data_map

FRENCH_IP = "81.56.0.1"  # a Free SAS address: iptocc says FR


def beacon(client: Client, payload: object, **extra: str) -> int:
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return client.post(
        "/analytics/collect", body, content_type="application/json", **extra
    ).status_code


@pytest.fixture
def consenting(client: Client, catalog: None) -> Client:
    client.post("/consent/choose/", {"choice": "accept_all"})
    return client


@pytest.mark.commitment("AUT-02")
def test_nothing_is_recorded_without_analytics_consent(client: Client, catalog: None) -> None:
    assert beacon(client, {"kind": "pageview", "path": "/"}) == 403
    client.post("/consent/choose/", {"choice": "reject_all"})
    assert beacon(client, {"kind": "pageview", "path": "/"}) == 403
    assert Event.objects.count() == 0


@pytest.mark.commitment("AUT-02")
def test_an_event_keeps_the_country_not_the_address(consenting: Client) -> None:
    status = beacon(
        consenting,
        {"kind": "pageview", "path": "/destinations/fr/?q=secret"},
        REMOTE_ADDR=FRENCH_IP,
        HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0",
    )

    assert status == 204
    event = Event.objects.get()
    assert (event.kind, event.path, event.step, event.destination, event.country) == (
        "pageview",
        "/destinations/fr/",
        "destination",
        "fr",
        "FR",
    )
    stored = " ".join(str(getattr(event, f.attname)) for f in Event._meta.concrete_fields)
    assert FRENCH_IP not in stored and "Firefox" not in stored and "secret" not in stored


def test_paths_lose_their_ids(consenting: Client) -> None:
    beacon(
        consenting, {"kind": "pageview", "path": "/orders/5b0e1f5e-8d0a-4c55-9c1b-3f5a1e2d4c6b/"}
    )
    beacon(consenting, {"kind": "click", "path": "/", "target": "/orders/12345/invoice/"})
    assert sorted(Event.objects.values_list("path", "target")) == [
        ("/", "/orders/:n/invoice/"),
        ("/orders/:id/", ""),
    ]


@pytest.mark.commitment("AUT-02")
def test_withdrawal_stops_recording_from_then_on(consenting: Client) -> None:
    beacon(consenting, {"kind": "pageview", "path": "/"})
    consenting.post("/cookies/", {})  # every box unticked
    assert beacon(consenting, {"kind": "pageview", "path": "/"}) == 403
    assert Event.objects.count() == 1  # what was recorded before stays until it expires


@pytest.mark.parametrize(
    "payload",
    [
        "not json",
        "[]",
        {"kind": "purchase", "path": "/"},
        {"kind": "pageview", "path": "https://evil.example/"},
        {"kind": "pageview"},
        {"kind": "dwell", "path": "/", "dwell_ms": -5},
        {"kind": "dwell", "path": "/", "dwell_ms": "long"},
        {"kind": "click", "path": "/", "target": 7},
    ],
)
def test_bad_events_are_refused_with_400(consenting: Client, payload: object) -> None:
    assert beacon(consenting, payload) == 400
    assert Event.objects.count() == 0


def test_events_from_another_site_are_refused(consenting: Client) -> None:
    status = beacon(
        consenting, {"kind": "pageview", "path": "/"}, HTTP_ORIGIN="https://evil.example"
    )
    assert status == 403
    assert (
        beacon(consenting, {"kind": "pageview", "path": "/"}, HTTP_ORIGIN="http://testserver")
        == 204
    )


@pytest.mark.commitment("AUT-02")
def test_visitor_id_rotates_every_day() -> None:
    today = dt.date(2030, 5, 1)
    first = selectors.visitor_hash(subject="v:abc", day=today)
    assert first == selectors.visitor_hash(subject="v:abc", day=today)
    assert first != selectors.visitor_hash(subject="v:abc", day=today + dt.timedelta(days=1))
    assert first != selectors.visitor_hash(subject="v:abd", day=today)
    assert "abc" not in first


def make_events(day: dt.date, visitors: int, *, country: str = "FR") -> None:
    at = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    for n in range(visitors):
        subject = f"v:visitor-{n}"
        services.event_record(
            subject=subject,
            kind="pageview",
            path="/destinations/jp/",
            step="destination",
            destination="jp",
            country=country,
            now=at,
        )
        services.event_record(
            subject=subject, kind="pageview", path="/plans/:id/", step="plan", now=at
        )
        services.event_record(subject=subject, kind="click", path="/", target="Buy", now=at)
        services.event_record(subject=subject, kind="dwell", path="/", dwell_ms=4000, now=at)
    services.event_record(
        subject="v:visitor-0", kind="pageview", path="/checkout/:id/", step="checkout", now=at
    )


@pytest.mark.commitment("USE-04")
@pytest.mark.commitment("AUT-02")
def test_aggregation_drops_identifiers_and_expires_raw_events() -> None:
    now = timezone.now()
    old_day = (now - dt.timedelta(days=95)).date()
    recent_day = (now - dt.timedelta(days=2)).date()
    make_events(old_day, 6)
    make_events(recent_day, 2, country="JP")
    hashes = set(Event.objects.values_list("visitor", flat=True))

    result = services.analytics_aggregate(now=now)

    assert result.days == [old_day, recent_day]
    assert not Event.objects.filter(created_at__date=old_day).exists()
    assert Event.objects.filter(created_at__date=recent_day).count() == 2 * 4 + 1
    counts = {(c.metric, c.key): c.count for c in DailyCount.objects.filter(day=old_day)}
    assert counts[("visitors", "")] == 6
    assert counts[("pageviews", "")] == 13
    assert counts[("clicks", "")] == 6
    assert counts[("funnel_destination", "")] == 6
    assert counts[("funnel_plan", "")] == 6
    assert counts[("funnel_checkout", "")] == 1
    assert counts[("funnel_paid", "")] == 0
    assert counts[("destination", "jp")] == 6
    assert counts[("country", "FR")] == 6
    assert counts[("dwell_seconds", "")] == 24
    # Two visitors from Japan are too few to show apart.
    assert ("country", "JP") not in {
        (c.metric, c.key) for c in DailyCount.objects.filter(day=recent_day)
    }
    # No identifier survives in the counts: no column for one, and no value equal to one.
    names = {f.name for f in DailyCount._meta.concrete_fields}
    assert names == {"id", "day", "metric", "key", "count"}
    keys = set(DailyCount.objects.values_list("key", flat=True))
    assert not keys & hashes
    assert data_map.for_model(DailyCount) is None  # declared not personal


def test_aggregation_is_idempotent_and_has_a_dry_run() -> None:
    now = timezone.now()
    make_events((now - dt.timedelta(days=100)).date(), 1)

    dry = services.analytics_aggregate(now=now, dry_run=True)
    assert dry.purged == 5 and len(dry.days) == 1
    assert Event.objects.count() == 5 and DailyCount.objects.count() == 0

    first = services.analytics_aggregate(now=now)
    counts = DailyCount.objects.count()
    second = services.analytics_aggregate(now=now)

    assert first.purged == 5 and second.purged == 0 and second.days == []
    assert DailyCount.objects.count() == counts


def test_today_is_not_aggregated_yet() -> None:
    services.event_record(subject="v:x", kind="pageview", path="/")
    assert services.analytics_aggregate().days == []
    assert Event.objects.count() == 1


def test_a_customers_events_are_found_for_access_and_erasure(alice: User, bob: User) -> None:
    services.event_record(subject=selectors.subject_of_user(alice), kind="pageview", path="/")
    services.event_record(subject=selectors.subject_of_user(bob), kind="pageview", path="/x")

    declaration = data_map.for_model(Event)
    assert declaration is not None
    assert list(declaration.rows_of(alice).values_list("path", flat=True)) == ["/"]


def test_dashboard_draws_svg_charts_from_counts_for_permitted_staff(
    client: Client, alice: User
) -> None:
    from roamwise.testing.people import staff_client

    make_events((timezone.now() - dt.timedelta(days=3)).date(), 5)
    services.analytics_aggregate()
    staff, _ = staff_client(None, "analyst")

    response = staff.get("/admin/analytics/")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<svg") >= 4
    assert "JP" in html and "Destination" in html and "Checkout" in html
    assert '<script src="http' not in html
    client.force_login(alice)
    assert client.get("/admin/analytics/").status_code in (302, 403)
    no_role, _ = staff_client("", "nobody")
    assert no_role.get("/admin/analytics/").status_code == 403
