"""The support queue in the back office: filters, assignment, statuses,
internal notes, canned replies, response times, and contact details masked
for support agents (SEC-03) while every opening is logged (SEC-04)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from roamwise.accounts.models import User
from roamwise.audit import roles
from roamwise.audit.models import AccessEvent
from roamwise.core.errors import InvalidTransition
from roamwise.support import services
from roamwise.support.models import CannedReply, Ticket, TicketEvent, TicketStatus
from roamwise.testing.helpers import committed
from roamwise.testing.people import staff_client


@pytest.fixture
def ticket(alice: User, staff_roles: None) -> Ticket:
    return committed(  # type: ignore[return-value]
        lambda: services.ticket_open(
            customer=alice, category="complaint", title="Charged twice", body="Two payments."
        )
    )


@pytest.mark.commitment("SUP-01")
@pytest.mark.commitment("SEC-03")
def test_support_agents_see_masked_contact_details(ticket: Ticket) -> None:
    agent, member = staff_client(roles.SUPPORT_AGENT, "sam")

    queue = agent.get("/admin/support/ticket/")
    workspace = agent.get(f"/admin/support/ticket/{ticket.pk}/change/")

    assert queue.status_code == 200 and workspace.status_code == 200
    for page in (queue.content.decode(), workspace.content.decode()):
        assert "alice@example.com" not in page
        assert "a•••@example.com" in page
    assert "Charged twice" in workspace.content.decode()
    assert "Two payments." in workspace.content.decode()
    event = AccessEvent.objects.get(actor_id=member.pk)
    assert event.subject_id == ticket.customer.public_id  # type: ignore[union-attr]
    assert event.reason == f"Support ticket {ticket.reference}"
    assert "contact_email" not in event.fields

    officer, _ = staff_client(roles.PRIVACY_OFFICER, "paula")
    assert (
        "alice@example.com"
        in officer.get(f"/admin/support/ticket/{ticket.pk}/change/").content.decode()
    )
    billing, _ = staff_client(roles.BILLING, "bill")
    assert billing.get(f"/admin/support/ticket/{ticket.pk}/change/").status_code == 403


@pytest.mark.commitment("SUP-01")
def test_an_agent_answers_with_a_canned_reply_and_a_note_from_the_workspace(
    ticket: Ticket, jobs: object
) -> None:
    agent, _ = staff_client(roles.SUPPORT_AGENT, "sam")
    CannedReply.objects.create(
        title="Double charge", body="The second payment is a hold; it drops off."
    )
    canned = CannedReply.objects.get()
    url = f"/admin/support/ticket/{ticket.pk}/change/"
    jobs()  # type: ignore[operator]
    mail.outbox.clear()

    committed(
        lambda: agent.post(url, {"action": "note", "body": "Checked the processor: one hold."})
    )
    committed(lambda: agent.post(url, {"action": "reply", "body": "", "canned": str(canned.pk)}))
    jobs()  # type: ignore[operator]

    ticket.refresh_from_db()
    bodies = [(m.body, m.internal) for m in ticket.messages.all()]
    assert bodies == [
        ("Two payments.", False),
        ("Checked the processor: one hold.", True),
        ("The second payment is a hold; it drops off.", False),
    ]
    assert ticket.status == TicketStatus.WAITING
    assert ticket.first_response_at is not None
    (answer,) = mail.outbox  # the customer hears of the reply, never of the note
    assert "The second payment is a hold" in answer.body
    assert "Checked the processor" not in answer.body
    customer_page = Client()
    customer_page.force_login(ticket.customer)  # type: ignore[arg-type]
    page = customer_page.get(f"/support/tickets/{ticket.public_id}/").content.decode()
    assert "Checked the processor" not in page and "it drops off" in page


@pytest.mark.commitment("SUP-01")
def test_statuses_assignment_and_filters(ticket: Ticket, bob: User) -> None:
    agent, member = staff_client(roles.SUPPORT_AGENT, "sam")
    other = committed(
        lambda: services.ticket_open(customer=bob, category="question", title="Peru?", body="?")
    )
    url = f"/admin/support/ticket/{ticket.pk}/change/"

    agent.post(url, {"action": "assign", "assignee": str(member.pk)})
    agent.post(url, {"action": "status", "status": "resolved"})

    ticket.refresh_from_db()
    assert ticket.assignee == member
    assert ticket.status == TicketStatus.RESOLVED and ticket.resolved_at is not None
    assert list(TicketEvent.objects.filter(ticket=ticket).values_list("to_status", "note")) == [
        ("", "assigned to sam"),
        ("resolved", ""),
    ]
    resolved = agent.get("/admin/support/ticket/?status__exact=resolved").content.decode()
    assert ticket.reference in resolved and other.reference not in resolved  # type: ignore[attr-defined]
    mine = agent.get(f"/admin/support/ticket/?assignee__id__exact={member.pk}").content.decode()
    assert ticket.reference in mine and other.reference not in mine  # type: ignore[attr-defined]
    complaints = agent.get("/admin/support/ticket/?category__exact=complaint").content.decode()
    assert ticket.reference in complaints and other.reference not in complaints  # type: ignore[attr-defined]

    agent.post(url, {"action": "status", "status": "closed"})
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED and ticket.closed_at is not None
    with pytest.raises(InvalidTransition):
        services.ticket_transition(ticket=ticket, to_status="open", actor=member)
    # The bulk action on the queue refuses the impossible and does the rest.
    agent.post(
        "/admin/support/ticket/",
        {"action": "mark_waiting", "_selected_action": [str(ticket.pk), str(other.pk)]},  # type: ignore[attr-defined]
    )
    other.refresh_from_db()  # type: ignore[attr-defined]
    assert other.status == TicketStatus.WAITING  # type: ignore[attr-defined]
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED


def test_first_response_and_resolution_times(ticket: Ticket, staff: User) -> None:
    opened = timezone.now() - timedelta(hours=5)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=opened)
    ticket.refresh_from_db()
    committed(lambda: services.message_post_staff(ticket=ticket, staff=staff, body="On it."))
    Ticket.objects.filter(pk=ticket.pk).update(first_response_at=opened + timedelta(minutes=90))
    Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.OPEN)
    ticket.refresh_from_db()
    services.ticket_transition(ticket=ticket, to_status="resolved", actor=staff)
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=opened + timedelta(hours=4))
    ticket.refresh_from_db()

    assert ticket.first_response_time == timedelta(minutes=90)
    assert ticket.resolution_time == timedelta(hours=4)
    agent, _ = staff_client(roles.SUPPORT_AGENT, "sam")
    queue = agent.get("/admin/support/ticket/").content.decode()
    assert "1 h 30 min" in queue and "4 h 00 min" in queue
    assert "Average first response: 1 h 30 min" in queue


def test_unconfirmed_visitor_tickets_stay_out_of_the_queue(staff_roles: None) -> None:
    pending = committed(
        lambda: services.ticket_open_visitor(
            email="v@example.org", category="question", title="Hidden", body="?"
        )
    )
    agent, _ = staff_client(roles.SUPPORT_AGENT, "sam")

    assert pending.reference not in agent.get("/admin/support/ticket/").content.decode()  # type: ignore[attr-defined]
    assert agent.get(f"/admin/support/ticket/{pending.pk}/change/").status_code == 404  # type: ignore[attr-defined]
