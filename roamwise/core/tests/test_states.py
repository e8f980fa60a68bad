"""The one way a row changes state (roamwise.core.states, ADR 0032), shown on
a support ticket: any model that declares its machine behaves the same."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from roamwise.core import states
from roamwise.core.errors import StateChanged, TransitionNotAllowed
from roamwise.support.models import Ticket, TicketEvent, TicketStatus
from roamwise.testing.factories.support import TicketFactory

pytestmark = pytest.mark.django_db


def _moves(ticket: Ticket) -> list[tuple[str, str, str]]:
    return list(
        TicketEvent.objects.filter(ticket=ticket)
        .exclude(from_status="")
        .values_list("from_status", "to_status", "note")
    )


def test_an_allowed_move_writes_the_state_and_its_event() -> None:
    ticket = TicketFactory()

    left = states.move(ticket, TicketStatus.OPEN, actor=None, note="looked at")

    assert left == TicketStatus.NEW
    assert ticket.status == TicketStatus.OPEN
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.OPEN
    assert _moves(ticket) == [(TicketStatus.NEW, TicketStatus.OPEN, "looked at")]


def test_the_other_columns_given_are_written_with_the_move() -> None:
    ticket = TicketFactory()
    states.move(ticket, TicketStatus.OPEN, actor=None)

    states.move(ticket, TicketStatus.CLOSED, actor=None, closed_at=ticket.created_at)

    assert Ticket.objects.get(pk=ticket.pk).closed_at == ticket.created_at
    assert ticket.closed_at == ticket.created_at


def test_a_move_the_machine_does_not_have_raises_and_writes_nothing() -> None:
    ticket = TicketFactory()
    states.move(ticket, TicketStatus.CLOSED, actor=None)

    with pytest.raises(TransitionNotAllowed):
        states.move(ticket, TicketStatus.OPEN, actor=None)
    with pytest.raises(TransitionNotAllowed):
        # Not a lost race: try_move raises too, the caller asked for the impossible.
        states.try_move(ticket, TicketStatus.OPEN, actor=None)

    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.CLOSED
    assert _moves(ticket) == [(TicketStatus.NEW, TicketStatus.CLOSED, "")]


def test_a_row_moved_meanwhile_raises_for_move_and_is_false_for_try_move() -> None:
    ticket = TicketFactory()
    seen_by_another = Ticket.objects.get(pk=ticket.pk)
    states.move(seen_by_another, TicketStatus.RESOLVED, actor=None)

    with pytest.raises(StateChanged):
        states.move(ticket, TicketStatus.OPEN, actor=None)
    assert states.try_move(ticket, TicketStatus.OPEN, actor=None) is False

    assert ticket.status == TicketStatus.NEW  # the caller's copy is left as it was
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.RESOLVED
    assert _moves(ticket) == [(TicketStatus.NEW, TicketStatus.RESOLVED, "")]


def test_allowed_from_accepts_any_of_the_states_named() -> None:
    ticket = TicketFactory()
    states.move(ticket, TicketStatus.WAITING, actor=None)
    stale = Ticket.objects.get(pk=ticket.pk)
    stale.status = TicketStatus.NEW

    moved = states.try_move(
        stale,
        TicketStatus.RESOLVED,
        actor=None,
        allowed_from=(TicketStatus.OPEN, TicketStatus.WAITING),
    )

    assert moved is True
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.RESOLVED
    assert _moves(ticket)[-1] == (TicketStatus.WAITING, TicketStatus.RESOLVED, "")


def test_a_missing_row_is_a_lost_race() -> None:
    ticket = TicketFactory()
    Ticket.objects.filter(pk=ticket.pk).delete()

    assert states.try_move(ticket, TicketStatus.OPEN, actor=None) is False


def test_can_move_reads_the_machine_declared_on_the_model() -> None:
    ticket = TicketFactory()

    assert states.can_move(ticket, TicketStatus.OPEN)
    assert not states.can_move(ticket, TicketStatus.NEW)
    assert not states.can_move(ticket, TicketStatus.OPEN, from_state=TicketStatus.CLOSED)


@pytest.mark.django_db(transaction=True)
def test_two_movers_at_once_make_one_move() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no row locks; the compare-and-set is tested above")
    ticket = TicketFactory()
    start = threading.Barrier(4)
    results: list[bool] = []

    def mover() -> None:
        try:
            copy = Ticket.objects.get(pk=ticket.pk)
            start.wait()
            results.append(states.try_move(copy, TicketStatus.OPEN, actor=None))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=mover) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results) == [False, False, False, True]
    assert _moves(ticket) == [(TicketStatus.NEW, TicketStatus.OPEN, "")]
