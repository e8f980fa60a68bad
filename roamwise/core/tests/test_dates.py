"""Dates a customer reads are written in their language by Babel: the month's
name and the order of day, month and year are the locale's, never Django's
English "j M Y"."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation

from roamwise.accounts.models import User
from roamwise.catalog.models import Plan
from roamwise.core.dates import local_date, local_datetime
from roamwise.orders.models import Order
from roamwise.testing.shopping import paid_order
from roamwise.usage.charts import daily_usage_svg

MOMENT = dt.datetime(2026, 3, 15, 9, 30, tzinfo=dt.UTC)

EXPECTED = {
    "en": ("15 March 2026", "15 Mar 2026, 09:30"),
    "de": ("15. März 2026", "15. März 2026, 09:30"),
    "fr": ("15 mars 2026", "15 mars 2026, 09:30"),
    "es": ("15 de marzo de 2026", "15 mar 2026, 9:30"),
    "it": ("15 marzo 2026", "15 mar 2026, 09:30"),
    "ja": ("2026年3月15日", "2026年3月15日 9:30"),
    "zh-hans": ("2026年3月15日", "2026年3月15日 09:30"),
}


@pytest.mark.parametrize("language", sorted(EXPECTED))
def test_a_date_and_a_moment_in_each_language(language: str, settings: object) -> None:
    settings.TIME_ZONE = "UTC"  # type: ignore[attr-defined]
    day, moment = EXPECTED[language]
    with translation.override(language):
        assert local_date(MOMENT) == day
        assert local_date(MOMENT.date()) == day
        assert local_datetime(MOMENT).replace("\u202f", " ") in (
            moment,
            moment.replace("9:30", "09:30"),
        )
        assert local_date(None) == "" and local_datetime(None) == ""


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "month", "english"),
    [("de", "15. März 2026", "Mar"), ("ja", "2026年3月15日", "Mar")],
)
def test_the_orders_page_writes_its_dates_in_the_customers_language(
    alice: User, plan: Plan, language: str, month: str, english: str
) -> None:
    order = paid_order(alice, plan)
    Order.objects.filter(pk=order.pk).update(created_at=MOMENT)
    User.objects.filter(pk=alice.pk).update(language=language)
    client = Client()
    client.force_login(alice)

    listing = client.get("/orders/").content.decode()
    detail = client.get(f"/orders/{order.public_id}/").content.decode()

    assert month in listing and month in detail
    assert f"15 {english} 2026" not in listing + detail
    assert "March" not in listing + detail


@pytest.mark.parametrize(("language", "label"), [("de", "15. März"), ("ja", "3月15日")])
def test_the_usage_chart_labels_its_days_in_the_language(language: str, label: str) -> None:
    series = [(MOMENT.date() + dt.timedelta(days=n), 1_000_000 * n) for n in range(3)]
    with translation.override(language):
        svg = str(daily_usage_svg(series))
    assert label in svg and "Mar" not in svg


@pytest.mark.parametrize(("language", "day"), [("de", "15. März 2026"), ("ja", "2026年3月15日")])
def test_an_email_writes_its_date_in_the_language(language: str, day: str) -> None:
    # Emails are rendered inside the recipient's language (ADR 0026).
    version = SimpleNamespace(version="3", effective_at=MOMENT)
    with translation.override(language):
        subject = render_to_string(
            "governance/email/policy_change_subject.txt", {"version": version}
        )
        body = render_to_string(
            "governance/email/policy_change_message.txt",
            {"version": version, "site_name": "Roamwise", "policy_url": "/privacy/"},
        )
    assert day in subject and day in body
    assert "March" not in subject + body
