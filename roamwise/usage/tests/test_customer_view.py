"""What the customer sees: remaining data, days left and a daily chart on the
eSIM page (no JavaScript needed), and the same figures from the API."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from roamwise.accounts.models import User
from roamwise.esims.models import BYTES_PER_MB, Bundle, Esim
from roamwise.testing.lines import iccid, record
from roamwise.usage import services
from roamwise.usage.models import Partner

pytestmark = pytest.mark.django_db


@pytest.fixture
def used_esim(partner: tuple[Partner, str], line_esim: Esim) -> Esim:
    # 300 MB today, 200 MB three days ago, on a 5 GB plan. "Today" is the UTC
    # day the chart draws, so the session starts after midnight whatever the
    # hour the suite runs at.
    now = timezone.now()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    since_midnight = (now - midnight).total_seconds() / 3600
    today = record("today", iccid(1), hours_ago=since_midnight / 2, up=0, down=300 * BYTES_PER_MB)
    today["session_end"] = now.isoformat()
    services.usage_ingest_batch(
        partner=partner[0],
        raw_records=[
            today,
            record("earlier", iccid(1), hours_ago=72, up=0, down=200 * BYTES_PER_MB),
        ],
    )
    return line_esim


@pytest.mark.commitment("SIM-03")
def test_the_esim_page_shows_balance_days_left_and_a_chart(buyer: Client, used_esim: Esim) -> None:
    page = buyer.get(f"/esims/{used_esim.public_id}/").content.decode()
    remaining = re.search(r'id="data-remaining">([^<]+)<', page)
    assert remaining is not None and remaining[1] == "4.5\xa0GB of 5.0\xa0GB"
    assert re.search(r'id="data-used">500\.0\xa0MB<', page)
    bundle = Bundle.objects.get(esim=used_esim)
    days = re.search(r'id="days-left">(\d+) ', page)
    assert days is not None
    expected = -(-(bundle.expires_at - timezone.now()).total_seconds() // 86400)
    assert int(days[1]) == int(expected)
    svg = page[
        page.index('<svg class="usage-chart"') : page.index("</svg>", page.index("usage-chart")) + 6
    ]
    assert svg.count('class="usage-bar"') == 30
    heights = [float(h) for h in re.findall(r'class="usage-bar"[^>]*height="([\d.]+)"', svg)]
    assert heights[-1] == max(heights) > heights[-4] > 0  # today is the tallest bar
    assert heights[-1] / heights[-4] == pytest.approx(300 / 200, rel=0.01)
    assert "<script" not in svg


def test_the_api_returns_the_same_figures(buyer: Client, used_esim: Esim) -> None:
    answer = buyer.get(f"/api/v1/esims/{used_esim.public_id}/usage").json()
    balance = answer["balance"]
    assert balance["total_bytes"] == 5120 * BYTES_PER_MB
    assert balance["used_bytes"] == 500 * BYTES_PER_MB
    assert balance["remaining_bytes"] == 4620 * BYTES_PER_MB
    assert balance["used_percent"] == 9
    assert balance["days_left"] is not None
    days = {d["day"]: d["bytes"] for d in answer["daily"]}
    assert len(days) == 30
    today = timezone.now().astimezone(dt.UTC).date()
    assert days[today.isoformat()] >= 0
    assert sum(days.values()) == 500 * BYTES_PER_MB
    detail = buyer.get(f"/api/v1/esims/{used_esim.public_id}").json()
    assert detail["balance"] == balance
    assert detail["bundles"][0]["used_bytes"] == 500 * BYTES_PER_MB


def test_another_customer_sees_nothing(bob: User, used_esim: Esim) -> None:
    client = Client()
    client.force_login(bob)
    assert client.get(f"/esims/{used_esim.public_id}/").status_code == 404
    assert client.get(f"/api/v1/esims/{used_esim.public_id}/usage").status_code == 404
