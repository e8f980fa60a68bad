"""Changing the seller's identity and the shop's branding (core.ShopIdentity).

Each change goes to the audit trail in the same transaction: which fields,
by whom, why. The staff member who made it is the row's subject, as the
record is about no customer.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from roamwise.accounts.models import User
from roamwise.audit.models import AccessEvent
from roamwise.audit.services import Access, access_record
from roamwise.core.identity import forget_shop_identity
from roamwise.core.models import ShopIdentity

CHANGED_REASON = "shop identity and branding changed in the back office"


def shop_identity_save(
    *, actor: User, identity: ShopIdentity, changed: Iterable[str], reason: str = ""
) -> ShopIdentity:
    changed = sorted(changed)
    identity.pk = 1
    with transaction.atomic():
        identity.full_clean()
        identity.save()
        if changed:
            access_record(
                Access(
                    actor=actor,
                    subject=actor,
                    obj=identity,
                    fields=tuple(changed),
                    action=AccessEvent.Action.CHANGE,
                    reason=reason.strip() or CHANGED_REASON,
                )
            )
        transaction.on_commit(forget_shop_identity)
    forget_shop_identity()
    return identity
