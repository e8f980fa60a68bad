"""The partners' batch endpoint: authentication, per-record answers,
idempotency, ownership of ICCIDs, rate limits and malformed input."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roamwise.accounts.models import User
from roamwise.catalog.models import Plan
from roamwise.esims.models import Bundle, Esim, EsimState
from roamwise.testing.helpers import rows_containing
from roamwise.testing.lines import OTHER_PREFIX, esim_on_line, iccid, post_batch, record
from roamwise.usage.models import IngestBatch, Partner, UsageRecord

pytestmark = pytest.mark.django_db


def test_without_a_valid_key_nothing_is_accepted(client: Client, line_esim: Esim) -> None:
    body = {"records": [record("r1", iccid(1))]}
    assert (
        client.post("/api/v1/usage/records", body, content_type="application/json").status_code
        == 401
    )
    assert post_batch(client, "rwp_" + "0" * 48, body["records"]).status_code == 401
    assert UsageRecord.objects.count() == 0


def test_an_inactive_partner_is_refused(
    client: Client, partner: tuple[Partner, str], line_esim: Esim
) -> None:
    Partner.objects.filter(pk=partner[0].pk).update(is_active=False)
    assert post_batch(client, partner[1], [record("r1", iccid(1))]).status_code == 401


@pytest.mark.commitment("SIM-05")
def test_a_batch_answers_for_every_record_and_keeps_the_good_ones(
    client: Client, partner: tuple[Partner, str], line_esim: Esim
) -> None:
    line = iccid(1)
    batch = [
        record("good-1", line, up=100, down=900),
        record("bad-iccid", "8944990000000000001"),  # wrong check digit
        "not an object",
        record("good-2", line + "F", up=50, down=50),  # the padded form is the same line
        record("future", line, hours_ago=-5),
        {**record("negative", line), "bytes_up": -1},
        {**record("no-network", line), "visited_network": "FR"},
        {**record("naive-time", line), "session_start": "2026-11-20T10:00:00"},
        record("unknown-line", iccid(999)),
        {"iccid": line},
    ]
    response = post_batch(client, partner[1], batch)
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["accepted"] == 2
    assert answer["accepted_ids"] == ["good-1", "good-2"]
    assert answer["duplicates"] == 0
    assert answer["rejected"] == 8
    reasons = {r["index"]: r["reason"] for r in answer["rejections"]}
    assert sorted(reasons) == [1, 2, 4, 5, 6, 7, 8, 9]
    assert "ICCID" in reasons[1]
    assert "object" in reasons[2]
    assert "future" in reasons[4]
    assert "bytes_up" in reasons[5]
    assert "MCC-MNC" in reasons[6]
    assert "time zone" in reasons[7]
    assert "unknown ICCID" in reasons[8]
    assert "record_id" in reasons[9]
    stored = UsageRecord.objects.order_by("record_id")
    assert [(r.record_id, r.bytes_total) for r in stored] == [("good-1", 1000), ("good-2", 100)]
    bundle = Bundle.objects.get(esim=line_esim)
    assert bundle.used_bytes == 1100
    batch_log = IngestBatch.objects.get()
    assert (batch_log.accepted, batch_log.rejected, batch_log.bytes_total) == (2, 8, 1100)


@pytest.mark.commitment("SIM-05")
def test_usage_dated_before_the_profile_was_assigned_is_refused_and_not_charged(
    client: Client, partner: tuple[Partner, str], alice: User, plan: Plan
) -> None:
    line = iccid(7)
    esim = esim_on_line(alice, plan, line, bought_ago=dt.timedelta(hours=3))
    batch = [
        record("day-before", line, hours_ago=27, up=0, down=478 * 1024 * 1024),
        record("just-before", line, hours_ago=3.5, up=0, down=5_000),
        record("after", line, hours_ago=2, up=100, down=900),
    ]
    answer = post_batch(client, partner[1], batch).json()
    assert (answer["accepted"], answer["rejected"]) == (1, 2)
    assert answer["accepted_ids"] == ["after"]
    reasons = {r["record_id"]: r["reason"] for r in answer["rejections"]}
    assert sorted(reasons) == ["day-before", "just-before"]
    assert all("before this line's profile was assigned" in r for r in reasons.values())
    assert list(UsageRecord.objects.values_list("record_id", flat=True)) == ["after"]
    assert Bundle.objects.get(esim=esim).used_bytes == 1_000


@pytest.mark.commitment("SIM-03")
def test_resent_and_overlapping_batches_count_once(
    client: Client, partner: tuple[Partner, str], line_esim: Esim
) -> None:
    line = iccid(1)
    first = [record(f"r{n}", line, hours_ago=n / 10) for n in range(1, 101)]
    second = [record(f"r{n}", line, hours_ago=n / 10) for n in range(51, 151)]
    assert post_batch(client, partner[1], first).json()["accepted"] == 100
    answer = post_batch(client, partner[1], second).json()
    assert answer["accepted"] == 50
    assert answer["duplicates"] == 50
    assert answer["duplicate_ids"] == [f"r{n}" for n in range(51, 101)]
    # The very same batch again changes nothing.
    again = post_batch(client, partner[1], second).json()
    assert (again["accepted"], again["duplicates"]) == (0, 100)
    assert UsageRecord.objects.count() == 150
    assert Bundle.objects.get(esim=line_esim).used_bytes == 150 * 10_000


def test_a_record_twice_in_one_batch_is_a_duplicate(
    client: Client, partner: tuple[Partner, str], line_esim: Esim
) -> None:
    line = iccid(1)
    answer = post_batch(client, partner[1], [record("same", line), record("same", line)]).json()
    assert (answer["accepted"], answer["duplicates"]) == (1, 1)
    assert UsageRecord.objects.count() == 1


def test_a_record_id_reused_for_another_session_is_not_counted_again(
    client: Client, partner: tuple[Partner, str], line_esim: Esim
) -> None:
    """Idempotency is on (partner, record id), whatever month the record claims."""
    line = iccid(1)
    post_batch(client, partner[1], [record("r1", line, hours_ago=1)])
    answer = post_batch(client, partner[1], [record("r1", line, hours_ago=24 * 40)]).json()
    assert answer["duplicates"] == 1
    assert UsageRecord.objects.count() == 1


def test_a_partner_cannot_report_usage_for_another_partners_lines(
    client: Client,
    partner: tuple[Partner, str],
    other_partner: tuple[Partner, str],
    line_esim: Esim,
) -> None:
    answer = post_batch(client, other_partner[1], [record("theirs", iccid(1))]).json()
    assert answer["accepted"] == 0
    # The same answer as for a line nobody has: no hint that the ICCID exists.
    assert answer["rejections"][0]["reason"].startswith("unknown ICCID")
    assert UsageRecord.objects.count() == 0
    assert Bundle.objects.get(esim=line_esim).used_bytes == 0
    # The same record id from the right partner is its own record.
    assert post_batch(client, partner[1], [record("theirs", iccid(1))]).json()["accepted"] == 1
    assert iccid(1, OTHER_PREFIX) != iccid(1)


@pytest.mark.commitment("AUT-01")
@pytest.mark.commitment("SIM-05")
def test_cell_and_location_area_are_dropped_on_arrival(
    client: Client, partner: tuple[Partner, str], line_esim: Esim
) -> None:
    raw = record("with-cell", iccid(1), cell_id="CELLX-4411-77", location_area="LAC-99817")
    assert post_batch(client, partner[1], [raw]).json()["accepted"] == 1
    assert rows_containing("CELLX-4411-77") == []
    assert rows_containing("LAC-99817") == []


def test_first_traffic_activates_an_installed_esim(
    client: Client, partner: tuple[Partner, str], line_esim: Esim
) -> None:
    post_batch(client, partner[1], [record("r1", iccid(1), hours_ago=3)])
    line_esim.refresh_from_db()
    assert line_esim.state == EsimState.ACTIVE
    assert line_esim.events.filter(to_status=EsimState.ACTIVE, actor="network").exists()
    bundle = Bundle.objects.get(esim=line_esim)
    assert bundle.starts_at is not None and bundle.expires_at is not None
    assert (bundle.expires_at - bundle.starts_at).days == bundle.validity_days


@pytest.mark.commitment("USE-05")
def test_each_partner_has_its_own_request_rate(
    client: Client, partner: tuple[Partner, str], other_partner: tuple[Partner, str]
) -> None:
    cache.clear()
    Partner.objects.filter(pk=partner[0].pk).update(requests_per_minute=2)
    assert post_batch(client, partner[1], []).status_code == 200
    assert post_batch(client, partner[1], []).status_code == 200
    refused = post_batch(client, partner[1], [])
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["code"] == "rate_limited"
    # Another partner's allowance is its own.
    assert post_batch(client, other_partner[1], []).status_code == 200


def test_a_batch_over_the_limit_is_refused_whole(
    client: Client, partner: tuple[Partner, str], line_esim: Esim
) -> None:
    batch = [record(f"r{n}", iccid(1)) for n in range(10_001)]
    response = post_batch(client, partner[1], batch)
    assert response.status_code == 422
    assert UsageRecord.objects.count() == 0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=6)
    ),
    max_leaves=20,
)
record_like = st.fixed_dictionaries(
    {},
    optional={
        "record_id": st.text(max_size=70) | st.integers(),
        "iccid": st.sampled_from([iccid(1), iccid(1) + "F", "", "894499000000000001x"])
        | st.text(max_size=22),
        "session_start": st.text(max_size=40) | st.datetimes().map(lambda d: d.isoformat() + "Z"),
        "session_end": st.text(max_size=40)
        | st.datetimes().map(lambda d: d.isoformat() + "+00:00"),
        "bytes_up": st.integers() | st.text(max_size=8) | st.floats(allow_nan=False),
        "bytes_down": st.integers(min_value=-5, max_value=10**13) | st.booleans(),
        "visited_network": st.text(max_size=7),
    },
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=json_values
    | st.fixed_dictionaries({"records": st.lists(record_like | json_values, max_size=8)})
)
def test_malformed_input_never_causes_a_server_error(
    client: Client, partner: tuple[Partner, str], line_esim: Esim, body: object
) -> None:
    cache.clear()
    response = client.post(
        "/api/v1/usage/records",
        json.dumps(body),
        content_type="application/json",
        headers={"authorization": f"Bearer {partner[1]}"},
    )
    assert response.status_code in (200, 422), response.content
    assert "message" in response.json() or "accepted" in response.json()


@pytest.mark.commitment("SIM-05")
@pytest.mark.parametrize("ended_first", [True, False], ids=["ended-before", "ended-after"])
@pytest.mark.parametrize("ended_state", [EsimState.DELETED, EsimState.FAILED])
def test_usage_on_a_recycled_iccid_goes_to_the_live_esim_holding_it(
    client: Client,
    partner: tuple[Partner, str],
    alice: User,
    bob: User,
    plan: Plan,
    ended_first: bool,
    ended_state: str,
) -> None:
    # A profile cancelled before download goes back to the SM-DP+ and may be
    # handed to another eSIM; the ended eSIM keeps the ICCID for its history.
    line = iccid(11)
    if ended_first:
        ended = esim_on_line(alice, plan, line, state=ended_state)
        live = esim_on_line(bob, plan, line)
    else:
        live = esim_on_line(bob, plan, line)
        ended = esim_on_line(alice, plan, line, state=ended_state)
    answer = post_batch(
        client,
        partner[1],
        [record("plain", line, up=100, down=900), record("padded", line + "F", up=5, down=5)],
    ).json()
    assert (answer["accepted"], answer["rejected"]) == (2, 0), answer
    assert set(UsageRecord.objects.values_list("esim_id", flat=True)) == {live.pk}
    assert Bundle.objects.get(esim=live).used_bytes == 1_010
    assert Bundle.objects.get(esim=ended).used_bytes == 0


@pytest.mark.commitment("SIM-05")
@pytest.mark.parametrize("ended_state", [EsimState.DELETED, EsimState.FAILED])
def test_usage_on_an_iccid_only_an_ended_esim_holds_is_unknown(
    client: Client, partner: tuple[Partner, str], alice: User, plan: Plan, ended_state: str
) -> None:
    line = iccid(12)
    ended = esim_on_line(alice, plan, line, state=ended_state)
    answer = post_batch(client, partner[1], [record("late", line + "f")]).json()
    assert (answer["accepted"], answer["rejected"]) == (0, 1), answer
    assert "unknown ICCID" in answer["rejections"][0]["reason"]
    assert UsageRecord.objects.count() == 0
    assert Bundle.objects.get(esim=ended).used_bytes == 0
