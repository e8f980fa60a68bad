"""Writing the staff access log. Call inside the transaction of the access."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from roamwise.datamap.registry import Sweep, Swept
from roamwise.vault.keyring import audit_chain_key
from roamwise.vault.models import AuditAnchor
from roamwise.vault.router import VAULT_DB

from .errors import ReasonRequired
from .models import AccessEvent, ChainHead
from .roles import role_of

if TYPE_CHECKING:
    from roamwise.accounts.models import User

log = logging.getLogger(__name__)


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
            raise ReasonRequired(gettext("Give a reason for accessing this customer's data."))
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
        ChainHead.objects.filter(pk=1).update(
            last_hash=previous,
            last_event_id=events[-1].pk,
            head_seal=ChainHead.seal_head(events[-1].pk, previous),
        )
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


def chain_anchor() -> AuditAnchor | None:
    """Copy the chain's head, signed, outside the audit tables (SEC-04).

    The copy goes to the key store (``vault.AuditAnchor``) and to the log, so
    that cutting the newest events and moving the head back in the primary
    database is found by ``audit_verify``. Only a head whose seal holds is
    anchored; nothing is written when the head has not moved since the last
    anchor. Run periodically (``audit.tasks.audit_chain_anchor``).
    """
    head = ChainHead.objects.filter(pk=1).first()
    if head is None or not head.last_event_id:
        return None
    if not hmac.compare_digest(
        head.head_seal, ChainHead.seal_head(head.last_event_id, head.last_hash)
    ):
        log.error("audit chain head %s not anchored: its seal is wrong", head.last_event_id)
        return None
    latest = AuditAnchor.objects.using(VAULT_DB).order_by("-event_id", "-id").first()
    if latest is not None and latest.event_id >= head.last_event_id:
        return None
    anchor = AuditAnchor.objects.using(VAULT_DB).create(
        event_id=head.last_event_id,
        chain_hash=head.last_hash,
        seal=anchor_seal(head.last_event_id, head.last_hash),
        anchored_at=timezone.now(),
    )
    # The log is a second copy, out of reach of the databases' users.
    log.info(
        "audit chain anchored: event=%s hash=%s seal=%s",
        anchor.event_id,
        anchor.chain_hash,
        anchor.seal,
    )
    return anchor


def anchor_seal(event_id: int, chain_hash: str) -> str:
    """The anchor's own seal: another label than the head's, so one is not the other."""
    message = f"chain-anchor:{event_id}:{chain_hash}".encode()
    return hmac.new(audit_chain_key(), message, hashlib.sha256).hexdigest()
