"""Writing the staff access log. Call inside the transaction of the access."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models, transaction
from django.utils import timezone

from roamwise.accounts.models import User

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
