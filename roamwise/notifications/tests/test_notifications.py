"""Every message goes through one place: kinds, consent, preferences, the
outbox, delivery after commit with retries, one-click unsubscribe."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.test import Client, TestCase

from roamwise.accounts.models import User
from roamwise.consent.models import ConsentRecord
from roamwise.consent.selectors import has_consent
from roamwise.consent.services import consent_record
from roamwise.notifications import services
from roamwise.notifications.errors import PreferenceLocked
from roamwise.notifications.models import Notification, OutboundEmail
from roamwise.notifications.tokens import unsubscribe_token

PROMOTION = {"headline": "Summer in Japan: 20% off", "text": "Our Japan plans are cheaper."}


def promote(user: User) -> Notification | None:
    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.notify(
            user=user,
            kind="promotions",
            template="notifications/email/promotion",
            context={**PROMOTION, "user": user, "link": "https://roamwise.example/jp"},
        )


def order_message(user: User, **extra: object) -> Notification | None:
    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.notify(
            user=user,
            kind="order",
            template="notifications/email/staff_alert",
            context={"title": "Your order is confirmed", "message": "Thank you.", **extra},
        )


def opt_in(user: User) -> None:
    consent_record(purpose="marketing", granted=True, source="settings", user=user)


@pytest.mark.commitment("USE-02")
def test_marketing_is_never_sent_without_opt_in_consent(alice: User, jobs: object) -> None:
    assert promote(alice) is None
    jobs()  # type: ignore[operator]

    assert mail.outbox == []
    assert Notification.objects.count() == 0
    assert OutboundEmail.objects.count() == 0

    consent_record(purpose="marketing", granted=False, source="settings", user=alice)
    assert promote(alice) is None
    jobs()  # type: ignore[operator]
    assert mail.outbox == []


@pytest.mark.commitment("USE-02")
def test_marketing_with_consent_carries_rfc8058_one_click_headers(
    alice: User, jobs: object
) -> None:
    opt_in(alice)

    notification = promote(alice)
    jobs()  # type: ignore[operator]

    assert notification is not None and notification.kind == "promotions"
    (message,) = mail.outbox
    assert message.to == ["alice@example.com"]
    assert message.subject == "[Roamwise] Summer in Japan: 20% off"
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert url.startswith("http://") and "/notifications/unsubscribe/" in url
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # The link is in the text and in the branded HTML too.
    assert url in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and url in html and "Roamwise" in html


@pytest.mark.commitment("USE-03")
def test_service_messages_go_whatever_the_marketing_choices(alice: User, jobs: object) -> None:
    consent_record(purpose="marketing", granted=False, source="unsubscribe", user=alice)
    services.preference_set(user=alice, kind="promotions", channel="email", enabled=False)

    notification = order_message(alice)
    jobs()  # type: ignore[operator]

    assert notification is not None and notification.in_site
    (message,) = mail.outbox
    assert message.subject == "[Roamwise] Your order is confirmed"
    assert "List-Unsubscribe" not in message.extra_headers
    with pytest.raises(PreferenceLocked):
        services.preference_set(user=alice, kind="order", channel="email", enabled=False)
    # Even a saved form that leaves every box empty keeps service email on.
    services.preferences_save(user=alice, enabled=set())
    mail.outbox.clear()
    again = order_message(alice)
    jobs()  # type: ignore[operator]
    assert len(mail.outbox) == 1
    assert again is not None and not again.in_site  # in-site was turned off by that form


@pytest.mark.commitment("USE-03")
def test_kinds_of_other_features_are_declared_as_service() -> None:
    from roamwise.notifications.kinds import KINDS, Category

    for name in ("low_data", "expiry", "account", "security", "order", "esim", "policy"):
        assert KINDS[name].category == Category.SERVICE
    assert KINDS["promotions"].category == Category.MARKETING


def _unsubscribe_url(user: User, jobs: object) -> str:
    opt_in(user)
    promote(user)
    jobs()  # type: ignore[operator]
    url = mail.outbox[-1].extra_headers["List-Unsubscribe"].strip("<>")
    return urlsplit(url).path


@pytest.mark.commitment("USE-02")
@pytest.mark.commitment("RGT-05")
def test_one_click_unsubscribe_by_post_without_login(alice: User, jobs: object) -> None:
    path = _unsubscribe_url(alice, jobs)
    mail_client = Client(enforce_csrf_checks=True)  # no session, no CSRF token

    # RFC 8058 §3.1: the mail client POSTs this exact body to the URL.
    response = mail_client.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    assert not has_consent(purpose="marketing", user=alice)
    latest = ConsentRecord.objects.filter(user=alice, purpose="marketing").first()
    assert latest is not None
    assert (latest.granted, latest.source) == (False, "unsubscribe")
    mail.outbox.clear()
    assert promote(alice) is None
    jobs()  # type: ignore[operator]
    assert mail.outbox == []


@pytest.mark.commitment("USE-02")
def test_unsubscribe_link_opened_signed_in_or_not_asks_one_click(
    alice: User, bob: User, jobs: object
) -> None:
    path = _unsubscribe_url(alice, jobs)
    signed_in = Client()
    signed_in.force_login(bob)  # someone else's session changes nothing: the token decides

    page = signed_in.get(path)
    assert page.status_code == 200
    assert b"Unsubscribe" in page.content
    assert has_consent(purpose="marketing", user=alice)  # a GET (link scanner) does nothing

    done = signed_in.post(path)
    assert done.status_code == 200
    assert not has_consent(purpose="marketing", user=alice)

    forged = Client().post(path[:-3] + "xx/")
    assert forged.status_code == 404
    other = unsubscribe_token(user_public_id=bob.public_id, kind="promotions") + "x"
    assert Client().post(f"/notifications/unsubscribe/{other}/").status_code == 404


@pytest.mark.commitment("RGT-07")
def test_preferences_per_kind_and_channel(buyer: Client, alice: User, jobs: object) -> None:
    page = buyer.get("/notifications/preferences/").content.decode()
    assert 'value="order:email" checked disabled' in page  # service email: always
    assert 'value="low_data:in_site" checked' in page

    saved = buyer.post(
        "/notifications/preferences/",
        {"on": ["order:email", "promotions:in_site", "low_data:email"], "marketing": "1"},
    )

    assert saved.status_code == 302
    assert has_consent(purpose="marketing", user=alice)
    assert order_message(alice) is not None
    assert Notification.objects.get().in_site is False  # order in-site turned off
    jobs()  # type: ignore[operator]
    assert len(mail.outbox) == 1  # order email still goes
    promo = promote(alice)
    assert promo is not None and promo.in_site  # promotions: in-site only now
    assert not OutboundEmail.objects.filter(notification=promo).exists()

    buyer.post("/notifications/preferences/", {"on": []})
    assert not has_consent(purpose="marketing", user=alice)


def test_bell_counts_unread_and_marks_read(buyer: Client, alice: User, bob: User) -> None:
    order_message(alice, link="/orders/")
    order_message(alice)
    order_message(bob)

    home = buyer.get("/").content.decode()
    assert 'aria-label="Notifications, 2 unread"' in home
    assert buyer.get("/notifications/unread.json").json() == {"unread": 2}
    listing = buyer.get("/notifications/").content.decode()
    assert listing.count("Your order is confirmed") == 2

    buyer.post("/notifications/read/")

    assert buyer.get("/notifications/unread.json").json() == {"unread": 0}
    assert Notification.objects.filter(user=bob, read_at__isnull=True).count() == 1
    assert Client().get("/notifications/unread.json").json() == {"unread": 0}


class FlakySMTP:
    """A real SMTP server on loopback that answers 4xx to the first DATA commands."""

    def __init__(self, failures: int, code: str = "451 4.3.0 Mailbox busy, try again later"):
        self.failures = failures
        self.code = code
        self.attempts = 0
        self.received: list[bytes] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.attempts += 1
        if self.attempts <= self.failures:
            return self.code
        self.received.append(envelope.original_content)  # type: ignore[attr-defined]
        return "250 2.0.0 Queued"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp(settings: object) -> Iterator[object]:
    def start(handler: FlakySMTP) -> FlakySMTP:
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        controllers.append(controller)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"  # type: ignore[attr-defined]
        settings.EMAIL_HOST = "127.0.0.1"  # type: ignore[attr-defined]
        settings.EMAIL_PORT = port  # type: ignore[attr-defined]
        return handler

    controllers: list[Controller] = []
    yield start
    for controller in controllers:
        controller.stop()


def test_smtp_failure_is_retried_until_sent_and_then_only_metadata_stays(
    alice: User, jobs: object, smtp: object
) -> None:
    server = smtp(FlakySMTP(failures=2))  # type: ignore[operator]

    notification = order_message(alice, message="Order RW-UNIQUE-7731 is confirmed.")
    email = OutboundEmail.objects.get(notification=notification)
    assert email.status == "queued" and email.recipient == "alice@example.com"
    jobs()  # type: ignore[operator]

    assert server.attempts == 3
    (raw,) = server.received
    assert b"Subject: [Roamwise] Your order is confirmed" in raw
    assert b"RW-UNIQUE-7731" in raw
    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == ("sent", 3, "")
    assert email.sent_at is not None and email.message_id
    # Metadata only: nothing of the message is left in the outbox row.
    raw_row = OutboundEmail.objects.filter(pk=email.pk).values(
        "recipient", "subject_line", "text_body", "html_body", "headers", "attachments"
    )[0]
    assert raw_row == {
        "recipient": "",
        "subject_line": "",
        "text_body": "",
        "html_body": "",
        "headers": None,
        "attachments": None,
    }


def test_permanent_smtp_refusal_is_not_retried(alice: User, jobs: object, smtp: object) -> None:
    server = smtp(FlakySMTP(failures=5, code="554 5.7.1 Message refused"))  # type: ignore[operator]

    notification = order_message(alice)
    jobs()  # type: ignore[operator]

    assert server.attempts == 1 and server.received == []
    email = OutboundEmail.objects.get(notification=notification)
    assert email.status == "failed" and email.attempts == 1
    assert "554" in email.last_error
    assert email.recipient == "alice@example.com"  # kept so staff can send it again


def test_smtp_down_gives_up_after_the_configured_attempts(
    alice: User, jobs: object, settings: object
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"  # type: ignore[attr-defined]
    settings.EMAIL_HOST = "127.0.0.1"  # type: ignore[attr-defined]
    settings.EMAIL_PORT = free_port()  # type: ignore[attr-defined]  # nobody listens
    settings.NOTIFICATIONS_EMAIL_MAX_ATTEMPTS = 3  # type: ignore[attr-defined]

    notification = order_message(alice)
    jobs()  # type: ignore[operator]

    email = OutboundEmail.objects.get(notification=notification)
    assert (email.status, email.attempts) == ("failed", 3)
    assert "ConnectionRefusedError" in email.last_error


def test_nothing_is_sent_before_the_transaction_commits(alice: User, jobs: object) -> None:
    services.notify(
        user=alice,
        kind="order",
        template="notifications/email/staff_alert",
        context={"title": "t", "message": "m"},
    )  # the test's transaction never commits
    jobs()  # type: ignore[operator]
    assert mail.outbox == []
    assert OutboundEmail.objects.get().status == "queued"
