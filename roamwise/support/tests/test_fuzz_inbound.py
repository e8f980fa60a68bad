"""The inbound mail webhook under fuzzing (ADR 0017, SUP-01).

Whatever the mail provider (or someone holding its secret) posts, the answer
is 200 with an outcome or a clean 4xx with a JSON message, never a 5xx.
Bodies are signed with the real secret and mix in the reply address of a
real ticket and its customer's address, so they reach the threading code.
Odd but valid mail (unicode, NUL, lone surrogates, repeated keys, a single
``to`` instead of a list, no subject) threads into the ticket.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.test import Client
from hypothesis import example, given
from hypothesis import strategies as st

from roamwise.accounts.models import User
from roamwise.core.tests.fuzzing import json_bodies, maybe, odd_text
from roamwise.support import services
from roamwise.support.addresses import reply_address
from roamwise.support.models import Ticket, TicketMessage
from roamwise.testing.helpers import PNG

from .conftest import post_inbound


@pytest.fixture
def ticket(alice: User) -> Ticket:
    return services.ticket_open(
        customer=alice, category="technical", title="No data", body="Nothing loads."
    )


def post_raw(client: Client, body: bytes) -> Any:
    from django.conf import settings

    from roamwise.core.signing import signature_header

    return client.post(
        "/support/inbound-email",
        body,
        content_type="application/json",
        headers={"X-Roamwise-Signature": signature_header(body, settings.SUPPORT_INBOUND_SECRET)},
    )


def mail(ticket: Ticket, **changes: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "message_id": "<m1@mail.example>",
        "from": "Alice <alice@example.com>",
        "to": [reply_address(ticket.public_id)],
        "subject": "Re: your request",
        "text": "Still no data.",
    }
    value.update(changes)
    return value


def inbound(address: str) -> st.SearchStrategy[dict[str, Any]]:
    attachment = st.fixed_dictionaries(
        {
            "filename": maybe(odd_text),
            "content_type": maybe(st.sampled_from(["image/png", "text/plain"]) | odd_text),
            "content": maybe(
                st.sampled_from([base64.b64encode(PNG).decode(), "not base64", "QUJD"]) | odd_text
            ),
        }
    )
    recipients = st.just(address) | odd_text
    return st.fixed_dictionaries(
        {
            "message_id": maybe(st.uuids().map(lambda u: f"<{u}@mail.example>") | odd_text),
            "from": maybe(st.just("Alice <alice@example.com>") | odd_text),
            "to": maybe(st.lists(recipients, max_size=3) | recipients),
        },
        optional={
            "cc": maybe(st.lists(recipients, max_size=3)),
            "subject": maybe(odd_text),
            "text": maybe(odd_text | st.just("Hello\n> quoted\nOn Mon, X wrote:\n> old")),
            "attachments": maybe(st.lists(maybe(attachment), max_size=4)),
        },
    )


@pytest.mark.commitment("SUP-01")
@given(data=st.data())
@example(data=None)  # the regressions below, against a fresh ticket
def test_no_inbound_mail_body_gives_a_5xx(client: Client, ticket: Ticket, data: Any) -> None:
    address = reply_address(ticket.public_id)
    if data is None:
        bodies = [
            b"[" * 50_000 + b"]" * 50_000,
            json.dumps(mail(ticket, message_id="<a\x00@x>")).encode(),
            json.dumps(mail(ticket, message_id="<b@x>", text="hi \ud800 there")).encode(),
            json.dumps(mail(ticket, message_id="<c@x>", subject="\udfff")).encode(),
            json.dumps(mail(ticket, message_id="\ud800")).encode(),
            json.dumps(mail(ticket, message_id="<d@x>", text="NUL\x00inside")).encode(),
            json.dumps(mail(ticket, **{"from": "\x00 <alice@example.com>"})).encode(),
            json.dumps(mail(ticket, to=["=?utf-8?q?=00?= <" + address + ">"])).encode(),
        ]
    else:
        bodies = [data.draw(json_bodies(inbound(address)))]
    for body in bodies:
        response = post_raw(client, body)

        assert response.status_code in (200, 401, 409, 422), (response.status_code, body[:200])
        answer = response.json()
        assert answer.get("received") is True or answer["message"]


@pytest.mark.commitment("SUP-01")
@given(text=odd_text.filter(lambda t: t.strip() and not t.strip().startswith(">")),
       subject=odd_text, single_to=st.booleans(), repeat_key=st.booleans())  # fmt: skip
@example(text="日本 \x00 \ud800 ✓", subject="\x00", single_to=True, repeat_key=True)
@example(text="long " * 6000, subject="s" * 5000, single_to=False, repeat_key=False)
def test_odd_but_valid_mail_threads_into_the_ticket(
    client: Client, ticket: Ticket, text: str, subject: str, single_to: bool, repeat_key: bool
) -> None:
    count = ticket.messages.count()
    address = reply_address(ticket.public_id)
    value = mail(
        ticket,
        message_id=f"<{count}@mail.example>",
        text=text,
        subject=subject,
        to=address if single_to else [address],
    )
    body = json.dumps(value).encode()
    if repeat_key:  # a repeated key: the last one counts
        body = body[:-1] + b', "from": "alice@example.com"}'

    response = post_raw(client, body)

    assert response.status_code == 200, response.content
    outcome = response.json()["outcome"]
    if outcome == "rejected: empty message":  # only quoted text or a signature line
        assert ticket.messages.count() == count
        return
    assert outcome == "threaded"
    latest = ticket.messages.order_by("-pk").first()
    assert latest is not None and latest.channel == TicketMessage.Channel.EMAIL
    assert "\x00" not in latest.body and latest.body.strip()
    assert len(latest.body) <= 10_000
    if len(text.strip()) > 10_000:
        assert latest.body.endswith("[The rest of this email was cut.]")


def test_a_good_reply_still_threads(client: Client, ticket: Ticket) -> None:
    response = post_inbound(client, mail(ticket))

    assert response.json()["outcome"] == "threaded"  # type: ignore[attr-defined]
    assert ticket.messages.order_by("-pk").first().body == "Still no data."  # type: ignore[union-attr]
