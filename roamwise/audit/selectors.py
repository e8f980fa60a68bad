from __future__ import annotations

import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from roamwise.datamap.registry import data_map
from roamwise.vault.models import AuditAnchor
from roamwise.vault.router import VAULT_DB

from .models import AccessEvent, ChainHead

if TYPE_CHECKING:
    from roamwise.accounts.models import User


def accesses_of(*, subject: User) -> QuerySet[AccessEvent]:
    """What a customer sees: when, which role, what, and why (no staff names),
    as the data map lets them see it (not yet a read for an authority whose
    order forbids telling them)."""
    return data_map.shown_to(AccessEvent, subject).order_by("-occurred_at")


@dataclass(frozen=True)
class ChainProblem:
    event_id: int | None
    problem: str


def verify_chain(*, chunk_size: int = 2000) -> Iterator[ChainProblem]:
    """Walk the chain in order and report every break, with the row it is at."""
    head = ChainHead.objects.filter(pk=1).first()
    previous_hash = "0" * 64
    previous_id = 0
    if head is not None and head.start_after_id:
        # Retention removed the oldest events: the chain starts after them.
        if not hmac.compare_digest(
            head.start_seal, ChainHead.seal_start(head.start_after_id, head.start_hash)
        ):
            yield ChainProblem(
                head.start_after_id, "the chain's starting point was altered: its seal is wrong"
            )
        previous_hash, previous_id = head.start_hash, head.start_after_id
    last_id = 0
    queryset = AccessEvent.objects.order_by("id")
    while True:
        chunk = list(queryset.filter(id__gt=last_id)[:chunk_size])
        if not chunk:
            break
        for event in chunk:
            if event.compute_hash() != event.hash:
                yield ChainProblem(
                    event.pk, f"event {event.pk} was edited: its content no longer matches its hash"
                )
            if event.previous_hash != previous_hash:
                yield ChainProblem(
                    event.pk,
                    f"event {event.pk} does not follow event {previous_id}: "
                    "rows between them were deleted or the order was changed",
                )
            previous_hash, previous_id = event.hash, event.pk
        last_id = chunk[-1].pk
    expected = head.last_hash if head else "0" * 64
    if expected != previous_hash:
        yield ChainProblem(
            head.last_event_id if head else None,
            f"the chain ends at event {previous_id} but its head records event "
            f"{head.last_event_id if head else 0}: rows were deleted from the end",
        )
    if (
        head is not None
        and head.last_event_id
        and not hmac.compare_digest(
            head.head_seal, ChainHead.seal_head(head.last_event_id, head.last_hash)
        )
    ):
        yield ChainProblem(
            head.last_event_id,
            f"the chain's head (event {head.last_event_id}) was altered: its seal is wrong; "
            "rows may have been cut from the end",
        )
    yield from _check_anchor(head)


def _check_anchor(head: ChainHead | None) -> Iterator[ChainProblem]:
    """The chain must still hold the last head anchored outside it, unchanged:
    cutting the newest rows and moving the head back, even to an old head with
    its genuine seal, is found here (SEC-04)."""
    from .services import anchor_seal

    anchor = AuditAnchor.objects.using(VAULT_DB).order_by("-event_id", "-id").first()
    if anchor is None:
        return
    if not hmac.compare_digest(anchor.seal, anchor_seal(anchor.event_id, anchor.chain_hash)):
        yield ChainProblem(
            anchor.event_id, f"the anchor of event {anchor.event_id} was altered: its seal is wrong"
        )
        return
    if head is not None and anchor.event_id <= head.start_after_id:
        return  # retention removed it, and the sealed start says where the chain begins
    when = f"{anchor.anchored_at:%Y-%m-%d %H:%M:%S} UTC"
    kept = AccessEvent.objects.filter(pk=anchor.event_id).values_list("hash", flat=True).first()
    if kept is None:
        yield ChainProblem(
            anchor.event_id,
            f"the chain was truncated: event {anchor.event_id}, anchored at {when}, is "
            "missing; rows were cut from the end and the head moved back",
        )
    elif kept != anchor.chain_hash:
        yield ChainProblem(
            anchor.event_id,
            f"event {anchor.event_id} no longer has the hash anchored at {when}: "
            "the chain was rewritten from there",
        )
    if head is None or head.last_event_id < anchor.event_id:
        yield ChainProblem(
            head.last_event_id if head else None,
            f"the chain's head records event {head.last_event_id if head else 0}, behind "
            f"event {anchor.event_id} anchored at {when}: the head was moved back",
        )
