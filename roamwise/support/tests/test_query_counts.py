"""The support queue in the back office runs a fixed number of queries however
many tickets it shows, each sealed with its own subject's key (ADR 0016)."""

from __future__ import annotations

from django.test import Client
from django.utils import timezone

from roamwise.accounts.models import User
from roamwise.core.tests.querycount import Queries, queries
from roamwise.support import services
from roamwise.support.models import Ticket
from roamwise.testing.people import make_customer, staff_client

MANY = 4
# The signed-in staff member's request: the session, the user, allauth's session
# record (read, the user again, written in a savepoint: five), is MFA on.
STAFF = 8


def tickets(number: int, staff: User) -> None:
    """A customer's ticket, assigned to staff, and a confirmed visitor's."""
    customer = make_customer(f"customer{number}")
    ticket = services.ticket_open(
        customer=customer, category="technical", title=f"No data in Rome {number}", body="Help"
    )
    services.ticket_assign(ticket=ticket, assignee=staff, actor=staff)
    visitor = services.ticket_open_visitor(
        email=f"visitor{number}@example.com",
        category="question",
        title=f"Does it work in Peru {number}?",
        body="Asking before I buy.",
        client_ip=f"192.0.2.{number}",
    )
    Ticket.objects.filter(pk=visitor.pk).update(confirmed_at=timezone.now())


def read(client: Client, path: str) -> tuple[Queries, str]:
    assert client.get(path).status_code == 200  # sessions and the like settle first
    with queries() as found:
        response = client.get(path)
    assert response.status_code == 200
    return found, response.content.decode()


def test_support_queue_runs_a_fixed_number_of_queries(db: None) -> None:
    boss, staff = staff_client(None, "boss")
    tickets(1, staff)
    one, _ = read(boss, "/admin/support/ticket/")
    for number in range(2, MANY + 1):
        tickets(number, staff)
    many, page = read(boss, "/admin/support/ticket/")

    assert page.count("No data in Rome") == page.count("Does it work in Peru") == MANY
    # The assignee filter's choices, two counts (filtered, total), the page of
    # tickets with customers and assignees, the queue's average times, the
    # bell; every ticket's key from the key store at once.
    assert one.counts == many.counts == {"default": STAFF + 7, "vault": 1, "cache": 0}, many
