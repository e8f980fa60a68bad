"""Writing the staff access log. Call inside the transaction of the access."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone

from roamwise.accounts.models import User
from roamwise.datamap.registry import Sweep, Swept

from .errors import ReasonRequired
from .models import AccessEvent, ChainHead
from .roles import role_of


@dataclass(frozen=True)
class Access:
    actor: User
    subject: User
    obj: models.Model
    fields: tuple[str, ...]
    action: str
    reason: str
    request_id: str = ""


def access_record(access: Access) -> AccessEvent:
    return access_record_many([access])[0]


def access_record_many(accesses: Iterable[Access]) -> list[AccessEvent]:
    """Append events to the chain, in order, under the chain's lock."""
    accesses = list(accesses)
    for access in accesses:
        if not access.reason.strip():
            raise ReasonRequired("Give a reason for accessing this customer's data.")
    events: list[AccessEvent] = []
    with transaction.atomic():
        ChainHead.objects.get_or_create(pk=1)
        head = ChainHead.objects.select_for_update().get(pk=1)
        previous = head.last_hash
        for access in accesses:
            event = AccessEvent(
                occurred_at=timezone.now(),
                actor_id=access.actor.pk,
                actor_role=role_of(access.actor),
                subject_id=access.subject.public_id,
                object_type=access.obj._meta.label,
                object_id=str(access.obj.pk),
                fields=sorted(access.fields),
                action=access.action,
                reason=access.reason.strip(),
                request_id=access.request_id,
                previous_hash=previous,
            )
            event.hash = event.compute_hash()
            event.save(force_insert=True)
            previous = event.hash
            events.append(event)
        ChainHead.objects.filter(pk=1).update(last_hash=previous, last_event_id=events[-1].pk)
    return events


def access_events_sweep(*, sweep: Sweep) -> Swept:
    """The data map's sweeper of the access log: events older than 6 years go.

    The log is a hash chain, so only its oldest part can go: the sweep stops
    at the first event that must stay (not due yet, or under a legal hold),
    and the chain head records, sealed, where the chain now starts. On
    PostgreSQL the append-only trigger lets the delete through only inside
    this transaction (migration 0002).
    """
    due = AccessEvent.objects.filter(occurred_at__lt=sweep.cutoff)
    held = due.filter(sweep.held).count() if sweep.held is not None else 0
    stays = Q(occurred_at__gte=sweep.cutoff)
    if sweep.held is not None:
        stays |= sweep.held
    first_kept = (
        AccessEvent.objects.filter(stays).order_by("id").values_list("id", flat=True).first()
    )
    prefix: models.QuerySet[AccessEvent] = models.QuerySet(model=AccessEvent)
    if first_kept is not None:
        prefix = prefix.filter(id__lt=first_kept)
    if sweep.dry_run:
        return Swept(deleted=prefix.count(), held=held)
    deleted = 0
    while rows := list(prefix.order_by("id").values_list("id", "hash")[: sweep.chunk_size]):
        last_id, last_hash = rows[-1]
        with transaction.atomic():
            ChainHead.objects.get_or_create(pk=1)
            ChainHead.objects.select_for_update().get(pk=1)
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL roamwise.audit_purge = 'on'")
            batch: models.QuerySet[AccessEvent] = models.QuerySet(model=AccessEvent).filter(
                id__lte=last_id
            )
            deleted += batch._raw_delete(batch.db)
            ChainHead.objects.filter(pk=1).update(
                start_after_id=last_id,
                start_hash=last_hash,
                start_seal=ChainHead.seal_start(last_id, last_hash),
            )
    return Swept(deleted=deleted, held=held)
