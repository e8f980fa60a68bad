"""Significant changes are told by email and in the site before they take
effect, and acceptance is recorded (POL-02)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from roamwise.accounts.models import User
from roamwise.accounts.services import account_close, parental_consent_request
from roamwise.governance import selectors, services
from roamwise.governance.models import PolicyAcceptance, PolicyNotice, PolicyVersion
from roamwise.notifications.models import Notification
from roamwise.notifications.services import notify
from roamwise.testing.people import make_customer

from .conftest import published

TEMPLATE = "notifications/email/staff_alert"
CONTEXT = {"title": "Hello", "message": "A message."}


def draft(label: str, *, days: int, significant: bool = True) -> PolicyVersion:
    return PolicyVersion.objects.create(
        version=label,
        body=f"## {label}\n\nNew text.",
        summary_of_changes="We now keep support records 2 years.",
        significant=significant,
        effective_at=timezone.now() + timedelta(days=days),
    )


def banner(page: str) -> str | None:
    match = re.search(r'<section class="policy-banner".*?</section>', page, re.S)
    return match.group(0) if match else None


@pytest.mark.django_db(transaction=True)
@pytest.mark.commitment("POL-02")
def test_publishing_a_significant_change_emails_every_active_customer_in_batches(
    jobs: Any, monkeypatch: pytest.MonkeyPatch, settings: object
) -> None:
    settings.POLICY_NOTICE_DAYS = 30  # type: ignore[attr-defined]
    monkeypatch.setattr(services, "NOTICE_BATCH_SIZE", 2)
    customers = [make_customer(name) for name in ("ana", "ben", "cleo", "dev", "eli")]
    make_customer("staffer", is_staff=True)
    closed = make_customer("gone")
    User.objects.filter(pk=closed.pk).update(is_active=False)
    version = draft("2027-01", days=45)
    mail.outbox.clear()

    services.policy_version_publish(version=version)
    jobs()

    assert sorted(m.to[0] for m in mail.outbox) == sorted(c.email for c in customers)
    expected = f"[Roamwise] Our privacy policy changes on {version.effective_at:%-d %B %Y}"
    assert {m.subject for m in mail.outbox} == {expected}
    body = mail.outbox[0].body
    assert "/privacy/versions/2027-01/" in body
    assert "We now keep support records 2 years." in body
    assert set(PolicyNotice.objects.values_list("user__username", flat=True)) == {
        c.username for c in customers
    }
    # Every customer also has it under the bell.
    assert Notification.objects.filter(kind="policy", in_site=True).count() == 5

    # Running the job again tells nobody twice.
    from roamwise.governance.tasks import send_policy_notices

    mail.outbox.clear()
    send_policy_notices(version.pk)
    jobs()
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.commitment("POL-02")
def test_a_minor_change_or_one_already_in_effect_emails_nobody(jobs: Any, settings: object) -> None:
    settings.POLICY_NOTICE_DAYS = 0  # type: ignore[attr-defined]
    make_customer("ana")
    minor = draft("minor", days=10, significant=False)
    mail.outbox.clear()

    services.policy_version_publish(version=minor)
    jobs()
    # A significant version that already took effect: nothing left to announce.
    past = published("past", effective=timezone.now() - timedelta(days=1), significant=True)
    assert services.policy_notices_send_batch(version_id=past.pk) == 0
    jobs()

    assert mail.outbox == []
    assert PolicyNotice.objects.count() == 0


@pytest.mark.commitment("POL-02")
def test_the_banner_shows_until_the_customer_accepts(
    client: Client, alice: User, bob: User
) -> None:
    published("2025-01", effective=datetime(2025, 1, 1, tzinfo=UTC))
    upcoming = published(
        "2027-01",
        effective=timezone.now() + timedelta(days=40),
        published_at=timezone.now() - timedelta(days=1),
        significant=True,
        summary="We now keep support records 2 years.",
    )
    # Visitors are not asked: there is nobody to accept.
    assert banner(client.get("/").content.decode()) is None

    client.force_login(alice)
    shown = banner(client.get("/destinations/").content.decode())

    assert shown is not None
    assert f"Our privacy policy changes on {upcoming.effective_at:%-d %B %Y}" in shown
    assert "We now keep support records 2 years." in shown
    assert 'href="/privacy/versions/2027-01/"' in shown
    assert 'action="/privacy/versions/2027-01/accept/"' in shown
    assert "csrfmiddlewaretoken" in shown
    # No inline script, style or event handler (the coming Content-Security-Policy).
    assert "<script" not in shown and "style=" not in shown
    assert re.search(r"\son[a-z]+=", shown) is None

    response = client.post("/privacy/versions/2027-01/accept/", {"next": "/destinations/"})

    assert response.status_code == 302 and response["Location"] == "/destinations/"
    acceptance = PolicyAcceptance.objects.get()
    assert (acceptance.user, acceptance.version) == (alice, upcoming)
    assert timezone.now() - acceptance.accepted_at < timedelta(minutes=1)
    assert banner(client.get("/destinations/").content.decode()) is None
    # Another customer still sees it.
    other = Client()
    other.force_login(bob)
    assert banner(other.get("/").content.decode()) is not None


@pytest.mark.commitment("POL-02")
def test_the_banner_ends_when_the_version_takes_effect(alice: User) -> None:
    upcoming = published(
        "2027-01",
        effective=datetime(2027, 1, 1, tzinfo=UTC),
        published_at=datetime(2026, 1, 1, tzinfo=UTC),
        significant=True,
    )

    assert selectors.policy_pending_for(user=alice, now=datetime(2025, 12, 31, tzinfo=UTC)) is None
    assert (
        selectors.policy_pending_for(user=alice, now=datetime(2026, 6, 1, tzinfo=UTC)) == upcoming
    )
    assert selectors.policy_pending_for(user=alice, now=datetime(2027, 1, 1, tzinfo=UTC)) is None


def test_accepting_needs_a_signed_in_customer_a_post_and_a_safe_return(
    client: Client, alice: User
) -> None:
    published(
        "2027-01",
        effective=timezone.now() + timedelta(days=40),
        published_at=timezone.now() - timedelta(days=1),
        significant=True,
    )
    anonymous = client.post("/privacy/versions/2027-01/accept/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]

    client.force_login(alice)
    assert client.get("/privacy/versions/2027-01/accept/").status_code == 405
    assert client.post("/privacy/versions/nope/accept/").status_code == 404
    assert PolicyAcceptance.objects.count() == 0

    response = client.post(
        "/privacy/versions/2027-01/accept/", {"next": "https://elsewhere.example/"}
    )

    assert response["Location"] == "/privacy/versions/2027-01/"
    assert PolicyAcceptance.objects.filter(user=alice).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.commitment("CHD-02")
@pytest.mark.commitment("POL-02")
def test_a_locked_account_is_not_told_as_a_customer(jobs: Any, settings: object) -> None:
    """A minor waiting for a parent's consent, or a closed account, is not a
    customer: no policy notice, nor any other customer mail; what it needs
    to open (email verification) still reaches it."""
    settings.POLICY_NOTICE_DAYS = 30  # type: ignore[attr-defined]
    customer = make_customer("ana")
    minor = make_customer("teen")
    parental_consent_request(child=minor, parent_email="parent@example.org")
    leaving = make_customer("gone")
    account_close(user=leaving)
    jobs()
    mail.outbox.clear()

    services.policy_version_publish(version=draft("2027-02", days=45))
    jobs()

    assert [m.to for m in mail.outbox] == [[customer.email]]
    assert set(PolicyNotice.objects.values_list("user__username", flat=True)) == {"ana"}
    for locked in (minor, leaving):
        assert notify(user=locked, kind="order", template=TEMPLATE, context=CONTEXT) is None
        assert notify(user=locked, kind="promotions", template=TEMPLATE, context=CONTEXT) is None
    assert notify(user=minor, kind="account", template=TEMPLATE, context=CONTEXT) is not None
    assert notify(user=customer, kind="order", template=TEMPLATE, context=CONTEXT) is not None
