from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from roamwise.accounts.models import User
from roamwise.audit.models import AccessEvent
from roamwise.audit.selectors import verify_chain
from roamwise.audit.services import Access, access_record


@pytest.fixture
def chain(alice: User, staff: User) -> list[AccessEvent]:
    return [
        access_record(
            Access(
                actor=staff,
                subject=alice,
                obj=alice.profile,
                fields=("phone",),
                action="view",
                reason=f"ticket {n}: customer call",
            )
        )
        for n in range(5)
    ]


def problems() -> list[str]:
    return [p.problem for p in verify_chain()]


def raw(sql: str, params: list) -> None:
    """Tamper as someone with full rights on the database would: first lift
    the append-only trigger, then write."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "ALTER TABLE audit_accessevent DISABLE TRIGGER audit_accessevent_append_only"
            )
        else:
            cursor.execute("DROP TRIGGER IF EXISTS audit_accessevent_no_update")
        cursor.execute(sql, params)


@pytest.mark.commitment("SEC-04")
def test_an_intact_chain_verifies(chain: list[AccessEvent]) -> None:
    out = StringIO()
    call_command("audit_verify", stdout=out)

    assert "audit chain intact: 5 events" in out.getvalue()
    assert [e.previous_hash for e in chain[1:]] == [e.hash for e in chain[:-1]]


@pytest.mark.commitment("SEC-04")
def test_an_edited_row_is_found(chain: list[AccessEvent]) -> None:
    raw("UPDATE audit_accessevent SET reason = %s WHERE id = %s", ["nothing to see", chain[2].pk])

    assert problems() == [f"event {chain[2].pk} was edited: its content no longer matches its hash"]
    with pytest.raises(CommandError, match="broken in 1 place"):
        call_command("audit_verify", stderr=StringIO())


@pytest.mark.commitment("SEC-04")
def test_an_edited_row_with_a_recomputed_hash_is_found(chain: list[AccessEvent]) -> None:
    forged = AccessEvent.objects.get(pk=chain[1].pk)
    forged.reason = "routine check"
    raw(
        "UPDATE audit_accessevent SET reason = %s, hash = %s WHERE id = %s",
        [forged.reason, forged.compute_hash(), forged.pk],
    )

    assert problems() == [
        f"event {chain[2].pk} does not follow event {chain[1].pk}: "
        "rows between them were deleted or the order was changed"
    ]


@pytest.mark.commitment("SEC-04")
def test_a_deleted_row_is_found(chain: list[AccessEvent]) -> None:
    raw("DELETE FROM audit_accessevent WHERE id = %s", [chain[2].pk])

    assert problems() == [
        f"event {chain[3].pk} does not follow event {chain[1].pk}: "
        "rows between them were deleted or the order was changed"
    ]


@pytest.mark.commitment("SEC-04")
def test_rows_cut_from_the_end_are_found(chain: list[AccessEvent]) -> None:
    raw("DELETE FROM audit_accessevent WHERE id = %s", [chain[4].pk])

    assert problems() == [
        f"the chain ends at event {chain[3].pk} but its head records event {chain[4].pk}: "
        "rows were deleted from the end"
    ]


@pytest.mark.commitment("SEC-04")
def test_reordered_rows_are_found(chain: list[AccessEvent]) -> None:
    first, second = chain[1].pk, chain[2].pk
    parking = 10_000_000
    raw("UPDATE audit_accessevent SET id = %s WHERE id = %s", [parking, first])
    raw("UPDATE audit_accessevent SET id = %s WHERE id = %s", [first, second])
    raw("UPDATE audit_accessevent SET id = %s WHERE id = %s", [second, parking])

    found = problems()

    assert found
    assert any(f"event {first} does not follow" in p for p in found)


def test_a_reason_is_required(alice: User, staff: User) -> None:
    from roamwise.audit.errors import ReasonRequired

    with pytest.raises(ReasonRequired):
        access_record(
            Access(
                actor=staff, subject=alice, obj=alice, fields=("email",), action="view", reason="  "
            )
        )
    assert AccessEvent.objects.count() == 0


def test_events_cannot_be_updated_or_deleted_through_the_orm(chain: list[AccessEvent]) -> None:
    event = AccessEvent.objects.get(pk=chain[0].pk)
    event.reason = "rewritten"

    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()
    with pytest.raises(ValueError, match="append-only"):
        AccessEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    with pytest.raises(ValueError, match="append-only"):
        AccessEvent.objects.all().delete()
    assert problems() == []


@pytest.mark.commitment("SEC-04")
def test_the_database_refuses_updates_and_deletes(alice: User, staff: User) -> None:
    from django.db import DatabaseError, transaction

    event = access_record(
        Access(
            actor=staff,
            subject=alice,
            obj=alice,
            fields=("email",),
            action="view",
            reason="ticket 7: checking",
        )
    )
    statements = ["UPDATE audit_accessevent SET reason = 'x' WHERE id = %s"]
    if connection.vendor == "postgresql":
        statements.append("DELETE FROM audit_accessevent WHERE id = %s")

    for sql in statements:
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    assert AccessEvent.objects.get(pk=event.pk).reason == "ticket 7: checking"


def test_a_chain_forged_without_the_key_is_found(chain: list[AccessEvent]) -> None:
    import hashlib
    import json

    # Recompute every hash as plain SHA-256, as someone without the keyring would.
    previous = "0" * 64
    for event in AccessEvent.objects.order_by("id"):
        canonical = json.dumps(event.content(), sort_keys=True, separators=(",", ":"))
        forged = hashlib.sha256((previous + canonical).encode()).hexdigest()
        raw(
            "UPDATE audit_accessevent SET previous_hash = %s, hash = %s WHERE id = %s",
            [previous, forged, event.pk],
        )
        previous = forged
    from roamwise.audit.models import ChainHead

    ChainHead.objects.filter(pk=1).update(last_hash=previous)

    assert len(problems()) >= len(chain)


# --- Truncation: the newest rows cut and the head moved back -------------------------


def truncate(chain: list[AccessEvent], keep: int, *, head_seal: str | None = None) -> None:
    """Cut every event after ``chain[keep - 1]`` and move the head back to it,
    as someone with full rights on the primary database would (triggers off).
    ``head_seal``: the seal to leave on the head (an old genuine one replayed)."""
    last = chain[keep - 1]
    raw("DELETE FROM audit_accessevent WHERE id > %s", [last.pk])
    with connection.cursor() as cursor:
        if head_seal is None:
            cursor.execute(
                "UPDATE audit_chainhead SET last_event_id = %s, last_hash = %s WHERE id = 1",
                [last.pk, last.hash],
            )
        else:
            cursor.execute(
                "UPDATE audit_chainhead SET last_event_id = %s, last_hash = %s, head_seal = %s "
                "WHERE id = 1",
                [last.pk, last.hash, head_seal],
            )


@pytest.mark.commitment("SEC-04")
def test_truncation_with_the_head_moved_back_is_found_by_the_heads_seal(
    chain: list[AccessEvent],
) -> None:
    truncate(chain, keep=3)

    assert problems() == [
        f"the chain's head (event {chain[2].pk}) was altered: its seal is wrong; "
        "rows may have been cut from the end"
    ]
    with pytest.raises(CommandError, match="broken in 1 place"):
        call_command("audit_verify", stderr=StringIO())


@pytest.mark.commitment("SEC-04")
def test_truncation_back_to_an_old_genuine_head_is_found_by_the_anchor(
    alice: User, staff: User
) -> None:
    from roamwise.audit.models import ChainHead

    def record(n: int) -> AccessEvent:
        return access_record(
            Access(
                actor=staff,
                subject=alice,
                obj=alice.profile,
                fields=("phone",),
                action="view",
                reason=f"ticket {n}",
            )
        )

    from roamwise.audit.tasks import audit_chain_anchor
    from roamwise.vault.models import AuditAnchor

    early = [record(n) for n in range(3)]
    old_seal = ChainHead.objects.get().head_seal  # the head as it was at event 3
    later = [record(n) for n in range(3, 6)]
    assert audit_chain_anchor.call_local() == later[-1].pk  # the periodic job, after event 6
    anchor = AuditAnchor.objects.using("vault").get()

    truncate(early + later, keep=3, head_seal=old_seal)
    err = StringIO()
    with pytest.raises(CommandError, match="broken in 2 place"):
        call_command("audit_verify", stderr=err)

    assert problems() == [
        f"the chain was truncated: event {later[-1].pk}, anchored at "
        f"{anchor.anchored_at:%Y-%m-%d %H:%M:%S} UTC, is missing; rows were cut from the "
        "end and the head moved back",
        f"the chain's head records event {early[-1].pk}, behind event {later[-1].pk} "
        f"anchored at {anchor.anchored_at:%Y-%m-%d %H:%M:%S} UTC: the head was moved back",
    ]
    assert "the chain was truncated" in err.getvalue()


@pytest.mark.commitment("SEC-04")
def test_an_anchored_intact_chain_verifies_and_anchoring_again_adds_nothing(
    chain: list[AccessEvent],
) -> None:
    from roamwise.audit.services import chain_anchor
    from roamwise.vault.models import AuditAnchor

    first = chain_anchor()
    again = chain_anchor()
    out = StringIO()
    call_command("audit_verify", stdout=out)

    assert first is not None
    assert (first.event_id, first.chain_hash) == (chain[-1].pk, chain[-1].hash)
    assert again is None
    assert AuditAnchor.objects.using("vault").count() == 1
    assert problems() == []
    assert "audit chain intact: 5 events" in out.getvalue()


@pytest.mark.commitment("SEC-04")
def test_a_forged_anchor_is_found(chain: list[AccessEvent]) -> None:
    from roamwise.audit.services import chain_anchor
    from roamwise.vault.models import AuditAnchor

    chain_anchor()
    AuditAnchor.objects.using("vault").update(event_id=chain[1].pk, chain_hash=chain[1].hash)

    assert problems() == [f"the anchor of event {chain[1].pk} was altered: its seal is wrong"]
