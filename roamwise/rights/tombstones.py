"""Tombstones re-applied after a restore (SEC-05, ADR 0010).

Every erasure first writes a tombstone (public id, date) in the key store and
in the primary database. After either database is restored from a backup,
``tombstones_restore`` (``manage.py restore_tombstones``) completes the copy
that was rolled back from the other, erases again every tombstoned account
the restore brought back, and destroys again every data key a restore of the
key store brought back. It is also how an erasure interrupted midway, or
suspended by a legal hold since released, is finished.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from roamwise.accounts.models import User
from roamwise.vault import services as vault

from .erasure import ErasureBlocked, ErasureIncomplete, erase_subject

RESTORE_REASON = "Erased before; brought back by a restore of the database (SEC-05)"


@dataclass
class TombstoneRun:
    tombstones: int
    # Tombstones one database had lost and the other still had.
    copied_to: dict[str, int]
    # Accounts a restore brought back, erased again.
    erased: list[uuid.UUID] = field(default_factory=list)
    # Data keys a restore of the key store brought back, destroyed again.
    shredded: list[uuid.UUID] = field(default_factory=list)
    # Erased again, but legal holds keep part of it (RET-07).
    held: list[uuid.UUID] = field(default_factory=list)
    # Erased again, but verification still finds data: subject id -> what.
    incomplete: dict[uuid.UUID, str] = field(default_factory=dict)


def tombstones_restore(*, dry_run: bool = False) -> TombstoneRun:
    listing = vault.tombstones_sync(dry_run=dry_run)
    subject_ids = sorted(listing.erased)
    run = TombstoneRun(tombstones=len(subject_ids), copied_to=listing.copied_to)
    present: list[User] = []
    for start in range(0, len(subject_ids), 500):
        chunk = subject_ids[start : start + 500]
        present.extend(User.objects.filter(public_id__in=chunk).order_by("pk"))
    for user in present:
        run.erased.append(user.public_id)
        if dry_run:
            continue
        try:
            report = erase_subject(user=user, reason=RESTORE_REASON)
        except (ErasureBlocked, ErasureIncomplete) as exc:
            run.incomplete[user.public_id] = str(exc)
            continue
        if report.held_by:
            run.held.append(user.public_id)
    brought_back = {user.public_id for user in present}
    keys = vault.keys_present(s for s in subject_ids if s not in brought_back)
    for subject_id in sorted(keys):
        run.shredded.append(subject_id)
        if not dry_run:
            vault.shred(subject_id)
    return run
