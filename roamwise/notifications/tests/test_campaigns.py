"""Campaigns: staff compose a promotion, preview it and send it in batches to
the customers who opted in (USE-02), each asked again when their email goes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client, TestCase
from django.utils import timezone

from roamwise.accounts.models import AccountClosure, User
from roamwise.audit import roles
from roamwise.consent.selectors import has_consent
from roamwise.consent.services import consent_record
from roamwise.notifications import selectors, services
from roamwise.notifications.errors import CampaignNotReady
from roamwise.notifications.models import (
    Campaign,
    CampaignEvent,
    CampaignMessage,
    CampaignRecipient,
    OutboundEmail,
)
from roamwise.testing.helpers import run_jobs
from roamwise.testing.people import make_customer, staff_client

pytestmark = [pytest.mark.django_db]

SUBJECT = "Japan & Korea: 20% off"
BODY = "Our Asia plans are cheaper this week.\nhttps://roamwise.example/asia"


def opt_in(user: User) -> None:
    consent_record(purpose="marketing", granted=True, source="settings", user=user)


@pytest.fixture
def marketer(db: None) -> User:
    roles.ensure_roles()
    member = make_customer("mia", is_staff=True)
    member.groups.add(Group.objects.get(name=roles.MARKETING))
    return User.objects.get(pk=member.pk)  # a fresh instance: no cached permissions


@pytest.fixture
def campaign(db: None) -> Campaign:
    campaign = Campaign.objects.create(name="Asia week", kind="promotions")
    CampaignMessage.objects.create(campaign=campaign, language="en", subject=SUBJECT, body=BODY)
    return campaign


def drain() -> None:
    """Run queued jobs, and the jobs they queue after their commits, until none is left."""
    while True:
        with TestCase.captureOnCommitCallbacks(execute=True):
            ran = run_jobs()
        if not ran:
            return


def schedule(campaign: Campaign, actor: User) -> None:
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.campaign_schedule(campaign_id=campaign.pk, actor=actor)


@pytest.mark.commitment("USE-02")
def test_a_campaign_reaches_only_open_accounts_that_opted_in(
    alice: User, bob: User, marketer: User, campaign: Campaign, jobs: object
) -> None:
    opt_in(alice)
    # Bob never opted in; carol opted in, then closed her account; dan's is locked.
    carol, dan = make_customer("carol"), make_customer("dan")
    for user in (carol, dan):
        opt_in(user)
    now = timezone.now()
    AccountClosure.objects.create(user=carol, closed_at=now, delete_after=now + timedelta(days=30))
    User.objects.filter(pk=dan.pk).update(is_active=False)
    assert selectors.campaign_audience_count() == 1

    schedule(campaign, marketer)
    drain()

    (message,) = mail.outbox
    assert message.to == ["alice@example.com"]
    assert message.subject == f"[Roamwise] {SUBJECT}"
    assert BODY in message.body  # the text part is not HTML-escaped
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert "/notifications/unsubscribe/" in url and url in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert list(CampaignRecipient.objects.values_list("user__username", flat=True)) == ["alice"]
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT
    # Sending is audited: who started it, and the outcome.
    events = list(CampaignEvent.objects.filter(campaign=campaign))
    assert [(e.actor_id, e.to_status) for e in events] == [
        (marketer.pk, "sending"),
        (None, "sent"),
    ]
    assert OutboundEmail.objects.get().kind == "promotions"


@pytest.mark.commitment("USE-02")
def test_consent_withdrawn_after_scheduling_means_nothing_is_sent(
    alice: User, bob: User, marketer: User, campaign: Campaign, jobs: object
) -> None:
    opt_in(alice)
    opt_in(bob)
    schedule(campaign, marketer)  # queued, not run yet

    consent_record(purpose="marketing", granted=False, source="settings", user=bob)
    drain()

    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
    assert not CampaignRecipient.objects.filter(user=bob).exists()
    assert not OutboundEmail.objects.filter(notification__user=bob).exists()


@pytest.mark.commitment("USE-02")
def test_a_retried_batch_sends_once_to_each_person(
    alice: User, bob: User, marketer: User, campaign: Campaign, jobs: object
) -> None:
    opt_in(alice)
    opt_in(bob)
    schedule(campaign, marketer)
    # The same batch runs twice (a worker retried it), in batches of one.
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SENDING)
    with TestCase.captureOnCommitCallbacks(execute=True):
        first = services.campaign_batch_send(campaign_id=campaign.pk, after_user_id=0, size=1)
        again = services.campaign_batch_send(campaign_id=campaign.pk, after_user_id=0, size=1)
    assert (first.sent, again.sent) == (1, 0)
    assert first.next_after == again.next_after == alice.pk
    drain()  # the queued job runs every batch, the first one a third time

    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "bob@example.com"]
    assert CampaignRecipient.objects.count() == 2
    assert selectors.campaign_counts(campaign=campaign).sent == 2


def test_a_campaign_whose_job_was_lost_goes_on_without_sending_twice(
    alice: User, bob: User, marketer: User, campaign: Campaign, jobs: object
) -> None:
    opt_in(alice)
    opt_in(bob)
    schedule(campaign, marketer)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.campaign_batch_send(campaign_id=campaign.pk, after_user_id=0, size=1)
    from huey.contrib.djhuey import HUEY

    HUEY.flush()  # the queue lost the rest of the chain (and alice's delivery: the outbox's sweep)
    assert services.campaigns_resume() == []  # not stalled yet

    later = timezone.now() + services.CAMPAIGN_STALLED_AFTER + timedelta(minutes=1)
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert services.campaigns_resume(now=later) == [campaign.pk]
    drain()

    assert [m.to for m in mail.outbox] == [["bob@example.com"]]
    for user in (alice, bob):
        assert OutboundEmail.objects.filter(notification__user=user).count() == 1
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.SENT


@pytest.mark.commitment("USE-02")
def test_the_campaign_unsubscribe_link_works_and_is_counted_once(
    alice: User, marketer: User, campaign: Campaign, jobs: object
) -> None:
    opt_in(alice)
    schedule(campaign, marketer)
    drain()
    (message,) = mail.outbox
    path = message.extra_headers["List-Unsubscribe"].strip("<>").split("://", 1)[1]
    path = path[path.index("/") :]

    # RFC 8058 one-click: a POST with no cookie and no CSRF token.
    client = Client(enforce_csrf_checks=True)
    assert client.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert client.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200

    assert not has_consent(purpose="marketing", user=alice)
    counts = selectors.campaign_counts(campaign=campaign)
    assert (counts.sent, counts.unsubscribed, counts.opened) == (1, 1, None)
    # Another campaign's count is untouched.
    other = Campaign.objects.create(name="Other")
    assert selectors.campaign_counts(campaign=other).unsubscribed == 0


@pytest.mark.commitment("USE-02")
def test_preview_shows_the_email_and_audience_without_sending(
    alice: User, bob: User, marketer: User, campaign: Campaign, jobs: object, settings: object
) -> None:
    settings.LANGUAGES = [("en", "English"), ("fr", "French")]  # type: ignore[attr-defined]
    CampaignMessage.objects.create(
        campaign=campaign, language="fr", subject="Asie : -20 %", body="Moins cher."
    )
    opt_in(alice)
    client, _ = staff_client(roles.MARKETING, "max")

    page = client.get(f"/admin/notifications/campaign/{campaign.pk}/preview/")
    html = client.get(f"/admin/notifications/campaign/{campaign.pk}/preview.html?language=fr")
    # German has no message of its own: the fallback language's is shown.
    settings.LANGUAGES = [*settings.LANGUAGES, ("de", "German")]  # type: ignore[attr-defined]
    fallback = client.get(f"/admin/notifications/campaign/{campaign.pk}/preview/?language=de")

    assert client.get("/admin/notifications/campaign/add/").status_code == 200
    change = client.get(f"/admin/notifications/campaign/{campaign.pk}/change/")
    assert change.status_code == 200 and "Preview and send" in change.content.decode()
    assert page.status_code == 200
    text = page.content.decode()
    assert "it would reach 1 customer who opted in" in text
    assert "[Roamwise] Japan &amp; Korea: 20% off" in text
    assert "Our Asia plans are cheaper this week." in text
    assert "Opened: not measured" in text
    assert html.status_code == 200
    assert "Moins cher." in html.content.decode()
    assert "/notifications/unsubscribe/" in html.content.decode()
    assert "'unsafe-inline'" in html["Content-Security-Policy"]
    assert "Our Asia plans" in fallback.content.decode()
    assert (
        client.get(f"/admin/notifications/campaign/{campaign.pk}/preview/?language=xx").status_code
        == 400
    )
    assert mail.outbox == [] and CampaignRecipient.objects.count() == 0
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


@pytest.mark.commitment("USE-02")
def test_only_the_marketing_role_may_send(alice: User, campaign: Campaign, jobs: object) -> None:
    roles.ensure_roles()
    opt_in(alice)
    url = f"/admin/notifications/campaign/{campaign.pk}/send/"
    for role, name in ((roles.ADMINISTRATOR, "ada"), (roles.SUPPORT_AGENT, "sam")):
        client, _ = staff_client(role, name)
        assert client.post(url).status_code == 403
    customer = Client()
    customer.force_login(alice)
    assert customer.post(url).status_code == 302  # to the back office's sign-in
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT
    assert not CampaignEvent.objects.exists()

    client, member = staff_client(roles.MARKETING, "max")
    assert client.get(url).status_code == 405
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url)
    drain()

    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT
    assert CampaignEvent.objects.filter(actor=member, to_status="sending").count() == 1
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
    # Sent once: a second send is refused.
    assert client.post(url).status_code == 302
    assert CampaignEvent.objects.filter(to_status="sending").count() == 1


def test_a_campaign_needs_its_fallback_message(marketer: User) -> None:
    campaign = Campaign.objects.create(name="Empty")
    with pytest.raises(CampaignNotReady):
        services.campaign_schedule(campaign_id=campaign.pk, actor=marketer)
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.DRAFT


def test_staff_compose_a_campaign_in_the_back_office(db: None) -> None:
    roles.ensure_roles()
    client, _ = staff_client(roles.MARKETING, "max")

    response = client.post(
        "/admin/notifications/campaign/add/",
        {
            "name": "Asia week",
            "kind": "newsletter",
            "fallback_language": "en",
            "messages-TOTAL_FORMS": "1",
            "messages-INITIAL_FORMS": "0",
            "messages-0-language": "en",
            "messages-0-subject": SUBJECT,
            "messages-0-body": BODY,
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert (campaign.kind, campaign.status) == ("newsletter", Campaign.Status.DRAFT)
    assert list(campaign.messages.values_list("language", "subject")) == [("en", SUBJECT)]
    # A service kind cannot be chosen: campaigns are marketing only.
    refused = client.post(
        "/admin/notifications/campaign/add/",
        {
            "name": "Sneaky",
            "kind": "order",
            "fallback_language": "en",
            "messages-TOTAL_FORMS": "0",
            "messages-INITIAL_FORMS": "0",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
        },
    )
    assert refused.status_code == 200 and Campaign.objects.count() == 1
