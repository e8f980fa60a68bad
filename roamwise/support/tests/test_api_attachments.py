"""Attachments over the API: the largest file the spec allows is taken, in a
body as large as the spec allows, and a byte more is refused with a 4xx that
says why (never Django's 413 for a body the spec says is fine)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from roamwise.support.models import Ticket, TicketAttachment
from roamwise.testing.helpers import committed

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n"


def _spec_limits(client: Client) -> tuple[int, int]:
    """(maxLength of an attachment's content_base64, maxItems of attachments)."""
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    attachments = schemas["TicketIn"]["properties"]["attachments"]
    return schemas["AttachmentIn"]["properties"]["content_base64"]["maxLength"], attachments[
        "maxItems"
    ]


def _pdf(size: int) -> dict[str, str]:
    content = PDF + b"\x00" * (size - len(PDF))
    return {
        "filename": "statement.pdf",
        "content_type": "application/pdf",
        "content_base64": base64.b64encode(content).decode(),
    }


def _open(client: Client, attachments: list[dict[str, str]]) -> Any:
    body = {"category": "technical", "subject": "No data", "message": "See the files."}
    return committed(
        lambda: client.post(
            "/api/v1/support/tickets",
            {**body, "attachments": attachments},
            content_type="application/json",
        )
    )


def test_the_largest_attachments_the_spec_allows_are_taken(buyer: Client) -> None:
    max_length, max_items = _spec_limits(buyer)
    largest = _pdf(settings.SUPPORT_ATTACHMENT_MAX_BYTES)
    assert len(largest["content_base64"]) == max_length
    # A body of them all is over DATA_UPLOAD_MAX_MEMORY_SIZE: taken all the same.
    assert max_items * max_length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    response = _open(buyer, [largest] * max_items)

    assert response.status_code == 201, response.content[:300]
    sizes = TicketAttachment.objects.values_list("size", flat=True)
    assert list(sizes) == [settings.SUPPORT_ATTACHMENT_MAX_BYTES] * max_items

    # A reply takes as much.
    ticket_id = response.json()["id"]
    reply = committed(
        lambda: buyer.post(
            f"/api/v1/support/tickets/{ticket_id}/messages",
            {"message": "One more.", "attachments": [largest] * max_items},
            content_type="application/json",
        )
    )
    assert reply.status_code == 201, reply.content[:300]
    assert TicketAttachment.objects.count() == 2 * max_items


def test_a_byte_over_the_limits_is_refused_with_the_reason(buyer: Client) -> None:
    max_length, max_items = _spec_limits(buyer)

    # A byte more of content: within the spec's length of base64, over the file limit.
    over = _open(buyer, [_pdf(settings.SUPPORT_ATTACHMENT_MAX_BYTES + 1)])
    assert over.status_code == 422
    assert over.json()["code"] == "attachment_rejected"
    assert "larger than" in over.json()["message"]

    # A character more of base64 than the spec allows.
    longer = {**_pdf(3), "content_base64": "A" * (max_length + 1)}
    too_long = _open(buyer, [longer])
    assert too_long.status_code == 422
    assert too_long.json()["code"] == "invalid_input"

    # More of them than the spec allows: a body too large to read at all.
    too_many = _open(buyer, [_pdf(settings.SUPPORT_ATTACHMENT_MAX_BYTES)] * (max_items + 1))
    assert too_many.status_code in (413, 422)
    assert too_many.json()["code"] in ("body_too_large", "invalid_input")
    assert not Ticket.objects.exists()
