"""Rate limits answer 429 with Retry-After, and the refused call changes nothing
(USE-05; ACC-04 for sign-in).

Each test makes the allowed number of calls, then one more: that one gets 429,
a Retry-After header, and leaves no row behind.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client, TestCase

from roamwise.accounts.models import LoginEvent, User
from roamwise.catalog.models import Plan
from roamwise.notifications.models import OutboundEmail
from roamwise.support import services as support
from roamwise.support.models import Ticket
from roamwise.testing.lines import ICCID_PREFIX, esim_on_line, iccid, post_batch, record
from roamwise.testing.people import PASSWORD, make_customer
from roamwise.usage import services as usage
from roamwise.usage.models import Partner, UsageRecord

# A fixed clock for roamwise.core.ratelimit's fixed windows: 15 s into a minute
# (and into an hour), so that no window turns over during a test and the
# Retry-After it answers is exact.
NOW = 1_800_000_000 - 1_800_000_000 % 3600 + 15


class FrozenTime:
    @staticmethod
    def time() -> float:
        return float(NOW)


@pytest.fixture(autouse=True)
def fresh_counters(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr("roamwise.core.ratelimit.time", FrozenTime)
    cache.clear()
    yield
    cache.clear()


def headless(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(f"/_allauth/app/v1{path}", json.dumps(body), content_type="application/json")


# --- Sign-in ------------------------------------------------------------------


@pytest.mark.commitment("ACC-04")
@pytest.mark.commitment("USE-05")
def test_a_locked_out_login_answers_429_with_retry_after_and_signs_nobody_in(
    client: Client, alice: User, settings: Any
) -> None:
    for _ in range(settings.LOGIN_FAILURES_ALLOWED):
        failed = client.post("/accounts/login/", {"login": "alice", "password": "wrong"})
        assert failed.status_code == 200

    locked = client.post("/accounts/login/", {"login": "alice", "password": PASSWORD})

    assert locked.status_code == 429
    assert locked["Retry-After"] == str(settings.LOGIN_LOCKOUT_SECONDS)
    minutes = -(-settings.LOGIN_LOCKOUT_SECONDS // 60)
    assert f"Please wait {minutes} minute" in locked.content.decode()
    assert client.session.get("_auth_user_id") is None
    assert LoginEvent.objects.filter(user=alice).count() == 0


@pytest.mark.commitment("USE-05")
def test_the_login_page_answers_429_past_its_per_address_rate(
    client: Client, alice: User, settings: Any
) -> None:
    # allauth's "login" limit: 30 sign-in posts a minute from one address.
    for _ in range(30):
        client.post("/accounts/login/", {})

    refused = client.post("/accounts/login/", {"login": "alice", "password": PASSWORD})

    assert refused.status_code == 429
    # The longest window among the page's limits: the lockout's, or the minute.
    assert refused["Retry-After"] == str(max(60, settings.LOGIN_LOCKOUT_SECONDS))
    assert client.session.get("_auth_user_id") is None


@pytest.mark.commitment("ACC-04")
@pytest.mark.commitment("USE-05")
def test_the_api_login_locks_out_with_429_and_retry_after(alice: User, settings: Any) -> None:
    client = Client()
    for _ in range(settings.LOGIN_FAILURES_ALLOWED):
        failed = headless(client, "/auth/login", {"username": "alice", "password": "wrong"})
        assert failed.status_code == 400

    locked = headless(client, "/auth/login", {"username": "alice", "password": PASSWORD})

    assert locked.status_code == 429
    assert locked["Retry-After"] == str(settings.LOGIN_LOCKOUT_SECONDS)
    assert "session_token" not in locked.content.decode()
    assert LoginEvent.objects.filter(user=alice).count() == 0


# --- Sign-up ------------------------------------------------------------------


def signup_data(username: str) -> dict[str, str]:
    return {
        "username": username,
        "email": f"{username}@example.com",
        "phone": "+44 7911 123456",
        "date_of_birth": "1990-01-01",
        "parent_email": "",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }


@pytest.mark.commitment("USE-05")
@pytest.mark.django_db
def test_signup_past_its_rate_answers_429_and_creates_no_account(client: Client) -> None:
    # allauth counts every sign-up post: 20 a minute from one address.
    for _ in range(20):
        assert client.post("/accounts/signup/", {}).status_code == 200

    with TestCase.captureOnCommitCallbacks(execute=True):
        refused = client.post("/accounts/signup/", signup_data("carol"))

    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert not User.objects.filter(username="carol").exists()
    assert OutboundEmail.objects.count() == 0


@pytest.mark.commitment("USE-05")
@pytest.mark.django_db
def test_api_signup_past_its_rate_answers_429_with_retry_after() -> None:
    client = Client()
    for _ in range(20):
        assert headless(client, "/auth/signup", {}).status_code == 400

    refused = headless(
        client,
        "/auth/signup",
        {"username": "carol", "email": "carol@example.com", "password": PASSWORD},
    )

    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert not User.objects.filter(username="carol").exists()


# --- Password reset -------------------------------------------------------------


@pytest.mark.commitment("USE-05")
@pytest.mark.commitment("ACC-04")
def test_password_reset_past_its_rate_answers_429_and_sends_nothing(
    client: Client, alice: User
) -> None:
    # 5 a minute for one address.
    for _ in range(5):
        with TestCase.captureOnCommitCallbacks(execute=True):
            sent = client.post("/accounts/password/reset/", {"email": "alice@example.com"})
        assert sent.status_code == 302
    assert OutboundEmail.objects.count() == 5

    with TestCase.captureOnCommitCallbacks(execute=True):
        refused = client.post("/accounts/password/reset/", {"email": "alice@example.com"})

    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert OutboundEmail.objects.count() == 5


@pytest.mark.commitment("USE-05")
def test_api_password_reset_past_its_rate_answers_429_and_sends_nothing(alice: User) -> None:
    client = Client()
    for _ in range(5):
        with TestCase.captureOnCommitCallbacks(execute=True):
            sent = headless(client, "/auth/password/request", {"email": "alice@example.com"})
        assert sent.status_code == 200

    with TestCase.captureOnCommitCallbacks(execute=True):
        refused = headless(client, "/auth/password/request", {"email": "alice@example.com"})

    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert OutboundEmail.objects.count() == 5


# --- Support tickets ----------------------------------------------------------------

TICKET_FORM = {"category": "question", "title": "Roaming", "body": "Does it work in Peru?"}
TICKET_JSON = {"category": "question", "subject": "Roaming", "message": "Does it work in Peru?"}
RETRY_IN_THE_HOUR = str(3600 - 15)


@pytest.mark.commitment("USE-05")
def test_a_customer_opening_too_many_tickets_gets_429_and_no_ticket(
    buyer: Client, alice: User
) -> None:
    for _ in range(support.CUSTOMER_TICKETS_PER_HOUR):
        assert buyer.post("/support/new/", TICKET_FORM).status_code == 302

    refused = buyer.post("/support/new/", TICKET_FORM)

    assert refused.status_code == 429
    assert refused["Retry-After"] == RETRY_IN_THE_HOUR
    assert "Too many requests" in refused.content.decode()
    assert Ticket.objects.filter(customer=alice).count() == support.CUSTOMER_TICKETS_PER_HOUR


@pytest.mark.commitment("USE-05")
def test_the_ticket_api_answers_429_with_retry_after_and_opens_nothing(
    buyer: Client, alice: User
) -> None:
    for _ in range(support.CUSTOMER_TICKETS_PER_HOUR):
        created = buyer.post(
            "/api/v1/support/tickets", TICKET_JSON, content_type="application/json"
        )
        assert created.status_code == 201

    refused = buyer.post("/api/v1/support/tickets", TICKET_JSON, content_type="application/json")

    assert refused.status_code == 429
    assert refused["Retry-After"] == RETRY_IN_THE_HOUR
    assert refused.json()["code"] == "rate_limited"
    assert Ticket.objects.filter(customer=alice).count() == support.CUSTOMER_TICKETS_PER_HOUR


@pytest.mark.commitment("USE-05")
@pytest.mark.django_db
def test_a_visitor_writing_too_often_gets_429_and_no_ticket_or_email(client: Client) -> None:
    form = {**TICKET_FORM, "email": "spam@example.org"}
    for _ in range(3):  # three a hour for one address
        with TestCase.captureOnCommitCallbacks(execute=True):
            assert client.post("/support/new/", form).status_code == 200
    assert OutboundEmail.objects.count() == 3

    with TestCase.captureOnCommitCallbacks(execute=True):
        refused = client.post("/support/new/", form)

    assert refused.status_code == 429
    assert refused["Retry-After"] == RETRY_IN_THE_HOUR
    assert Ticket.objects.count() == 3
    assert OutboundEmail.objects.count() == 3


@pytest.mark.commitment("USE-05")
@pytest.mark.django_db
def test_visitor_tickets_by_api_are_limited_per_address_with_retry_after(client: Client) -> None:
    body = {**TICKET_JSON, "email": "spam@example.org"}
    for _ in range(3):
        assert (
            client.post(
                "/api/v1/support/visitor-tickets", body, content_type="application/json"
            ).status_code
            == 202
        )

    refused = client.post("/api/v1/support/visitor-tickets", body, content_type="application/json")

    assert refused.status_code == 429
    assert refused["Retry-After"] == RETRY_IN_THE_HOUR
    assert Ticket.objects.count() == 3


@pytest.mark.commitment("USE-05")
@pytest.mark.django_db
def test_visitor_tickets_are_limited_per_ip_address_across_addresses(client: Client) -> None:
    for n in range(10):
        body = {**TICKET_JSON, "email": f"writer{n}@example.org"}
        assert (
            client.post(
                "/api/v1/support/visitor-tickets", body, content_type="application/json"
            ).status_code
            == 202
        )

    body = {**TICKET_JSON, "email": "writer10@example.org"}
    refused = client.post("/api/v1/support/visitor-tickets", body, content_type="application/json")

    assert refused.status_code == 429
    assert Ticket.objects.count() == 10


# --- The partners' usage API ------------------------------------------------------------


@pytest.mark.commitment("USE-05")
def test_the_partner_usage_api_answers_429_and_stores_nothing_past_its_rate(
    client: Client, alice: User, plan: Plan
) -> None:
    partner, key = usage.partner_create(code="net", name="Net", iccid_prefixes=ICCID_PREFIX)
    Partner.objects.filter(pk=partner.pk).update(requests_per_minute=2)
    esim_on_line(alice, plan, iccid(1))
    for n in range(2):
        assert post_batch(client, key, [record(f"r{n}", iccid(1))]).status_code == 200

    refused = post_batch(client, key, [record("r-refused", iccid(1))])

    assert refused.status_code == 429
    assert refused["Retry-After"] == "45"
    assert refused.json()["code"] == "rate_limited"
    assert UsageRecord.objects.count() == 2


def test_limits_count_per_customer(buyer: Client, alice: User) -> None:
    """Another customer's allowance is their own."""
    for _ in range(support.CUSTOMER_TICKETS_PER_HOUR):
        buyer.post("/support/new/", TICKET_FORM)
    bobby = make_customer("bobby")
    other = Client()
    other.force_login(bobby)

    assert other.post("/support/new/", TICKET_FORM).status_code == 302
    assert Ticket.objects.filter(customer=bobby).count() == 1
