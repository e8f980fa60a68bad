"""The order list's actions: resend the receipt, refund, a streamed CSV; no delete."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core import mail

from roamwise.accounts.models import User
from roamwise.audit import roles
from roamwise.audit.models import AccessEvent
from roamwise.catalog.models import Plan
from roamwise.orders.models import Order
from roamwise.orders.services import order_await_payment, order_create, order_mark_paid
from roamwise.testing.people import staff_client
from roamwise.testing.shopping import BILLING

CHANGELIST = "/admin/orders/order/"


@pytest.fixture
def paid_order(alice: User, plan: Plan) -> Order:
    order = order_create(customer=alice, plan=plan, billing=BILLING)
    order_await_payment(order=order)
    order_mark_paid(order_id=order.pk, actor="test")
    order.refresh_from_db()
    return order


def test_export_is_streamed_without_personal_details_and_audited(paid_order: Order) -> None:
    roles.ensure_roles()
    client, member = staff_client(roles.BILLING, "bill")

    response = client.post(
        CHANGELIST, {"action": "export_csv", "_selected_action": [paid_order.pk]}
    )

    assert response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["Order", "Created", "Paid", "Status"]
    assert rows[1][0] == str(paid_order.public_id)
    assert rows[1][-2] == str(paid_order.total)
    text = "\n".join(",".join(row) for row in rows)
    assert BILLING.name not in text and "alice" not in text
    event = AccessEvent.objects.get(action=AccessEvent.Action.EXPORT)
    assert event.actor_id == member.pk
    assert event.subject_id == paid_order.customer.public_id


def test_resend_receipt_sends_the_receipt_with_its_invoice(
    paid_order: Order, django_capture_on_commit_callbacks: Any, jobs: Any
) -> None:
    client, _ = staff_client(None, "root")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(CHANGELIST, {"action": "resend_receipt", "_selected_action": [paid_order.pk]})
    with django_capture_on_commit_callbacks(execute=True):
        jobs()  # the resend, which queues the email's delivery
    jobs()

    assert len(mail.outbox) == 1
    assert "Receipt" in mail.outbox[0].subject
    assert mail.outbox[0].attachments[0][0] == f"{paid_order.invoice.number}.pdf"


def test_refund_action_opens_the_refund_form_for_one_order(paid_order: Order) -> None:
    client, _ = staff_client(None, "root")

    response = client.post(CHANGELIST, {"action": "refund", "_selected_action": [paid_order.pk]})

    assert response["Location"] == f"/admin/orders/order/{paid_order.pk}/refund/"


def test_financial_records_cannot_be_deleted(paid_order: Order) -> None:
    client, _ = staff_client(None, "root")

    page = client.get(CHANGELIST)
    actions = {name for name, _ in page.context["action_form"].fields["action"].choices}
    assert "delete_selected" not in actions
    for url in (
        f"/admin/orders/order/{paid_order.pk}/delete/",
        f"/admin/orders/invoice/{paid_order.invoice.pk}/delete/",
    ):
        assert client.get(url).status_code == 403, url
    assert Order.objects.filter(pk=paid_order.pk).exists()
