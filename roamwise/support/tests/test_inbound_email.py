"""Replies by email thread into their ticket through a signed reply-to
address; forged addresses, strangers and forged webhooks are refused (SUP-01)."""

from __future__ import annotations

import json
import time
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client

from roamwise.accounts.models import User
from roamwise.core.signing import signature_header
from roamwise.support import services
from roamwise.support.addresses import reply_address
from roamwise.support.models import Ticket, TicketMessage, TicketStatus
from roamwise.testing.helpers import committed

from .conftest import post_inbound


@pytest.fixture
def answered(alice: User, staff: User, jobs: object) -> tuple[Ticket, str]:
    """alice's ticket, answered by staff: the reply-to address of that email."""
    ticket = committed(
        lambda: services.ticket_open(
            customer=alice, category="technical", title="No data", body="Nothing loads."
        )
    )
    committed(lambda: services.message_post_staff(ticket=ticket, staff=staff, body="Roaming on?"))  # type: ignore[arg-type]
    jobs()  # type: ignore[operator]
    answer = next(m for m in mail.outbox if "New reply" in m.subject)
    assert "Roaming on?" in answer.body
    return ticket, answer.reply_to[0]  # type: ignore[return-value]


def mail_from(sender: str, to: str, message_id: str = "<r1@mail.example>", **extra: object) -> dict:
    return {
        "message_id": message_id,
        "from": sender,
        "to": [to],
        "subject": "Re: New reply",
        "text": "Yes, roaming is on.\n\nOn Mon, Roamwise wrote:\n> Roaming on?",
        **extra,
    }


@pytest.mark.commitment("SUP-01")
def test_a_reply_by_email_threads_into_its_ticket(
    client: Client, answered: tuple[Ticket, str]
) -> None:
    ticket, address = answered
    assert address == reply_address(ticket.public_id)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING

    response = committed(
        lambda: post_inbound(client, mail_from("Alice <alice@example.com>", address))
    )
    again = post_inbound(client, mail_from("alice@example.com", address))

    assert response.status_code == 200  # type: ignore[attr-defined]
    assert response.json()["outcome"] == "threaded"  # type: ignore[attr-defined]
    assert again.json()["outcome"] == "duplicate"  # type: ignore[attr-defined]
    latest = ticket.messages.order_by("-pk").first()
    assert latest is not None
    assert (latest.body, latest.channel, latest.author_kind) == (
        "Yes, roaming is on.",
        "email",
        "customer",
    )
    assert ticket.messages.count() == 3
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN  # the customer answered


@pytest.mark.commitment("SUP-01")
def test_forged_reply_addresses_and_strangers_are_refused(
    client: Client, answered: tuple[Ticket, str], bob: User
) -> None:
    ticket, address = answered
    local, domain = address.split("@")
    forged_mac = f"{local[:-4]}0000@{domain}"
    other_ticket = Ticket.objects.create(
        customer=bob,
        key_subject=bob.public_id,
        category="question",
        title="x",
        confirmed_at=ticket.created_at,
    )
    # bob's ticket id with the MAC of alice's ticket: a made-up address.
    swapped = f"support+{other_ticket.public_id.hex}-{local.rsplit('-', 1)[1]}@{domain}"

    outcomes = [
        post_inbound(client, mail_from("alice@example.com", forged_mac, "<f1@x>")).json()[
            "outcome"
        ],
        post_inbound(client, mail_from("alice@example.com", swapped, "<f2@x>")).json()["outcome"],
        post_inbound(
            client, mail_from("alice@example.com", "support@example.com", "<f3@x>")
        ).json()["outcome"],
        post_inbound(client, mail_from("mallory@example.com", address, "<f4@x>")).json()["outcome"],
    ]

    assert outcomes == [
        "rejected: no valid reply address",
        "rejected: no valid reply address",
        "rejected: no valid reply address",
        "rejected: sender is not the ticket's contact",
    ]
    assert ticket.messages.count() == 2
    assert not other_ticket.messages.exists()


@pytest.mark.commitment("SUP-01")
def test_the_webhook_needs_the_providers_signature(
    client: Client, answered: tuple[Ticket, str]
) -> None:
    ticket, address = answered
    body = json.dumps(mail_from("alice@example.com", address)).encode()
    stale = signature_header(body, "x", int(time.time()) - 3600)

    unsigned = client.post("/support/inbound-email", body, content_type="application/json")
    wrong_key = post_inbound(client, mail_from("alice@example.com", address), secret="not-ours")
    replayed = client.post(
        "/support/inbound-email",
        body,
        content_type="application/json",
        headers={"X-Roamwise-Signature": stale},
    )
    garbage = post_inbound(client, {"from": "alice@example.com"})

    assert [unsigned.status_code, wrong_key.status_code, replayed.status_code] == [401, 401, 401]
    assert garbage.status_code == 422
    assert ticket.messages.count() == 2
    assert TicketMessage.objects.filter(channel="email").count() == 0


@pytest.mark.commitment("SUP-01")
def test_a_visitor_replies_by_email_from_their_confirmed_address(
    client: Client, staff: User, jobs: object
) -> None:
    ticket = committed(
        lambda: services.ticket_open_visitor(
            email="Walker@Example.org", category="question", title="Refund?", body="Can I?"
        )
    )
    Ticket.objects.filter(pk=ticket.pk).update(confirmed_at=ticket.created_at)  # type: ignore[attr-defined]
    ticket.refresh_from_db()  # type: ignore[attr-defined]
    committed(
        lambda: services.message_post_staff(ticket=ticket, staff=staff, body="Yes, within 14 days.")
    )  # type: ignore[arg-type]
    jobs()  # type: ignore[operator]
    answer = next(m for m in mail.outbox if "New reply" in m.subject)
    assert answer.to == ["Walker@Example.org"]
    # The visitor's link opens the ticket in any browser of theirs.
    access = answer.body.split("Read and answer it here: ")[1].split()[0]
    page = Client().get(urlsplit(access).path, follow=True)
    assert "Yes, within 14 days." in page.content.decode()

    outcome = post_inbound(client, mail_from("walker@example.org", answer.reply_to[0])).json()

    assert outcome["outcome"] == "threaded"
    assert ticket.messages.filter(channel="email").count() == 1  # type: ignore[attr-defined]
