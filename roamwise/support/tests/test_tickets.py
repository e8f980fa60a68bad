"""Customers and visitors reach support by web form, API and email (SUP-01);
staff answer from the queue; attachments are limited and encrypted."""

from __future__ import annotations

import base64
import json

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from roamwise.accounts.models import User
from roamwise.support import services
from roamwise.support.models import Ticket, TicketAttachment, TicketMessage, TicketStatus
from roamwise.testing.helpers import PNG, committed, link_in, rows_containing
from roamwise.testing.people import PASSWORD
from roamwise.vault.models import DataKey


def open_ticket(client: Client, **extra: object) -> object:
    data = {
        "category": "technical",
        "title": "My eSIM does not connect",
        "body": "It shows no service in Lisbon.",
        **extra,
    }
    return committed(lambda: client.post("/support/new/", data))


@pytest.mark.commitment("SUP-01")
def test_a_visitor_opens_a_ticket_after_confirming_their_email(
    client: Client, jobs: object
) -> None:
    sent = open_ticket(client, email="Visitor@Example.org")
    jobs()  # type: ignore[operator]

    assert sent.status_code == 200
    assert "We sent a link to Visitor@Example.org" in sent.content.decode()
    ticket = Ticket.objects.get()
    assert ticket.customer is None and ticket.confirmed_at is None
    # Not in the queue, and nobody can read it, until the address is confirmed.
    assert client.get(f"/support/tickets/{ticket.public_id}/").status_code == 404
    (confirmation,) = mail.outbox
    assert confirmation.to == ["Visitor@Example.org"]
    assert ticket.reference in confirmation.subject
    link = link_in(confirmation.body, "/support/confirm/")

    assert Client().get("/support/confirm/not-the-token/").status_code == 404
    opened = client.get(link, follow=True)

    ticket.refresh_from_db()
    assert ticket.confirmed_at is not None
    assert opened.redirect_chain[-1][0] == f"/support/tickets/{ticket.public_id}/"
    page = opened.content.decode()
    assert "It shows no service in Lisbon." in page and ticket.reference in page
    # Another browser without the link sees nothing.
    assert Client().get(f"/support/tickets/{ticket.public_id}/").status_code == 404
    # The visitor answers on the page.
    committed(
        lambda: client.post(f"/support/tickets/{ticket.public_id}/", {"body": "Still broken."})
    )
    assert ticket.messages.count() == 2


@pytest.mark.commitment("SUP-01")
def test_unconfirmed_visitor_tickets_are_dropped(client: Client, settings: object) -> None:
    from datetime import timedelta

    from django.utils import timezone

    open_ticket(client, email="someone@example.org")
    later = timezone.now() + timedelta(days=settings.SUPPORT_VISITOR_CONFIRM_DAYS + 1)  # type: ignore[attr-defined]

    ticket = Ticket.objects.get()
    assert DataKey.objects.filter(subject_id=ticket.key_subject).exists()
    assert services.unconfirmed_tickets_delete(now=timezone.now()) == 0

    assert services.unconfirmed_tickets_delete(now=later) == 1
    assert not Ticket.objects.exists()
    assert not TicketMessage.objects.exists()
    assert not DataKey.objects.filter(subject_id=ticket.key_subject).exists()


@pytest.mark.commitment("SUP-01")
def test_a_customer_opens_a_ticket_with_an_attachment(
    buyer: Client, alice: User, bob: User, jobs: object
) -> None:
    screenshot = SimpleUploadedFile("no service.png", PNG, content_type="image/png")

    response = open_ticket(buyer, category="complaint", attachments=[screenshot])
    jobs()  # type: ignore[operator]

    ticket = Ticket.objects.get()
    assert response["Location"] == f"/support/tickets/{ticket.public_id}/"
    assert (ticket.customer, ticket.category, ticket.status) == (alice, "complaint", "new")
    assert ticket.confirmed_at is not None
    (received,) = mail.outbox
    assert received.to == ["alice@example.com"] and ticket.reference in received.subject
    assert received.reply_to[0].startswith("support+")
    attachment = TicketAttachment.objects.get()
    assert (attachment.filename, attachment.content_type, attachment.size) == (
        "no service.png",
        "image/png",
        len(PNG),
    )
    url = f"/support/tickets/{ticket.public_id}/attachments/{attachment.public_id}/"
    download = buyer.get(url)
    assert download.content == PNG
    assert download["Content-Disposition"].startswith("attachment;")
    other = Client()
    other.force_login(bob)
    assert other.get(f"/support/tickets/{ticket.public_id}/").status_code == 404
    assert other.get(url).status_code == 404
    # Sealed with alice's key: the database holds ciphertext only.
    assert rows_containing("no service.png") == []
    assert rows_containing("It shows no service in Lisbon") == []
    stored = TicketAttachment.objects.filter(pk=attachment.pk).values_list("content", flat=True)[0]
    assert stored.token.startswith("v1.")
    assert base64.b64encode(PNG[:12]).decode() not in stored.token


@pytest.mark.commitment("SUP-01")
def test_the_thread_fragment_shows_new_replies_and_never_internal_notes(
    buyer: Client, alice: User, staff: User
) -> None:
    open_ticket(buyer)
    ticket = Ticket.objects.get()

    committed(
        lambda: services.message_post_staff(ticket=ticket, staff=staff, body="Restart the phone.")
    )
    committed(
        lambda: services.message_post_staff(
            ticket=ticket, staff=staff, body="Customer sounds upset", internal=True
        )
    )

    fragment = buyer.get(f"/support/tickets/{ticket.public_id}/thread/").content.decode()
    assert "Restart the phone." in fragment
    assert "Customer sounds upset" not in fragment
    assert 'data-count="2"' in fragment
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING
    assert ticket.first_response_at is not None


@pytest.mark.parametrize(
    ("files", "error"),
    [
        (
            [SimpleUploadedFile(f"s{i}.png", PNG, content_type="image/png") for i in range(4)],
            "Attach at most 3 files.",
        ),
        (
            [
                SimpleUploadedFile(
                    "tool.exe", b"MZ\x90\x00", content_type="application/x-msdownload"
                )
            ],
            "cannot be attached",
        ),
        (
            [
                SimpleUploadedFile(
                    "fake.png", b"<script>alert(1)</script>", content_type="image/png"
                )
            ],
            "is not a valid image/png file",
        ),
        (
            [SimpleUploadedFile("big.png", PNG + b"\x00" * 2048, content_type="image/png")],
            "is larger than",
        ),
    ],
)
def test_attachments_are_limited_by_count_size_and_real_type(
    buyer: Client, files: list, error: str, settings: object
) -> None:
    settings.SUPPORT_ATTACHMENT_MAX_BYTES = 1024  # type: ignore[attr-defined]

    response = open_ticket(buyer, attachments=files)

    assert response.status_code == 400
    assert error in response.content.decode()
    assert not Ticket.objects.exists()
    assert not TicketAttachment.objects.exists()


def session_token(user: User) -> str:
    login = Client().post(
        "/_allauth/app/v1/auth/login",
        data=json.dumps({"username": user.username, "password": PASSWORD}),
        content_type="application/json",
    )
    assert login.status_code == 200, login.content
    return str(login.json()["meta"]["session_token"])


@pytest.mark.commitment("SUP-01")
def test_api_visitor_tickets_need_a_valid_email_and_confirmation(
    client: Client, jobs: object
) -> None:
    body = {"category": "question", "subject": "Do you cover Peru?", "message": "Going in May."}

    missing_email = client.post(
        "/api/v1/support/visitor-tickets", body, content_type="application/json"
    )
    bad_email = client.post(
        "/api/v1/support/visitor-tickets",
        {**body, "email": "not an address"},
        content_type="application/json",
    )
    blank = client.post(
        "/api/v1/support/visitor-tickets",
        {**body, "subject": "   ", "email": "peru@example.org"},
        content_type="application/json",
    )
    no_session = client.post("/api/v1/support/tickets", body, content_type="application/json")
    visitor = committed(
        lambda: client.post(
            "/api/v1/support/visitor-tickets",
            {**body, "email": "peru@example.org"},
            content_type="application/json",
        )
    )
    jobs()  # type: ignore[operator]

    assert [missing_email.status_code, bad_email.status_code, blank.status_code] == [422] * 3
    assert no_session.status_code == 401
    assert visitor.status_code == 202  # type: ignore[attr-defined]
    ticket = Ticket.objects.get()
    assert visitor.json()["reference"] == ticket.reference  # type: ignore[attr-defined]
    assert ticket.confirmed_at is None and ticket.customer is None
    assert ticket.messages.get().channel == "api"
    (confirmation,) = mail.outbox
    assert confirmation.to == ["peru@example.org"]


def test_visitor_tickets_are_rate_limited_per_address(client: Client) -> None:
    body = {"category": "question", "subject": "Hi", "message": "?", "email": "spam@example.org"}

    codes = [
        client.post(
            "/api/v1/support/visitor-tickets", body, content_type="application/json"
        ).status_code
        for _ in range(4)
    ]

    assert codes == [202, 202, 202, 429]
    assert Ticket.objects.count() == 3


@pytest.mark.commitment("SUP-01")
def test_api_customer_opens_reads_and_replies_with_a_session_token(
    alice: User, bob: User, jobs: object
) -> None:
    token = {"X-Session-Token": session_token(alice)}
    api = Client()
    pdf = base64.b64encode(b"%PDF-1.4 minimal").decode()

    created = committed(
        lambda: api.post(
            "/api/v1/support/tickets",
            {"category": "technical", "subject": "No data", "message": "Nothing loads."},
            content_type="application/json",
            headers=token,
        )
    )
    assert created.status_code == 201, created.content  # type: ignore[attr-defined]
    ticket_id = created.json()["id"]  # type: ignore[attr-defined]
    reply = api.post(
        f"/api/v1/support/tickets/{ticket_id}/messages",
        {
            "message": "Roaming is on.",
            "attachments": [
                {"filename": "plan.pdf", "content_type": "application/pdf", "content_base64": pdf}
            ],
        },
        content_type="application/json",
        headers=token,
    )
    detail = api.get(f"/api/v1/support/tickets/{ticket_id}", headers=token)
    bad_file = api.post(
        "/api/v1/support/tickets",
        {
            "category": "technical",
            "subject": "x",
            "message": "y",
            "attachments": [
                {"filename": "a.pdf", "content_type": "application/pdf", "content_base64": "bm90"}
            ],
        },
        content_type="application/json",
        headers=token,
    )
    others = api.get(
        f"/api/v1/support/tickets/{ticket_id}", headers={"X-Session-Token": session_token(bob)}
    )
    forged = api.post(
        "/api/v1/support/tickets",
        {"category": "technical", "subject": "x", "message": "y"},
        content_type="application/json",
        headers={"X-Session-Token": "forged"},
    )

    assert reply.status_code == 201
    messages = detail.json()["messages"]
    assert [m["body"] for m in messages] == ["Nothing loads.", "Roaming is on."]
    assert [m["channel"] for m in messages] == ["api", "api"]
    assert messages[1]["attachments"][0]["filename"] == "plan.pdf"
    assert others.status_code == 404
    assert bad_file.status_code == 422 and bad_file.json()["code"] == "attachment_rejected"
    assert forged.status_code == 401
    assert Ticket.objects.get().customer == alice
