"""The tables below the data map, declared by it: Django's own (sessions and
the admin's action log hold personal data; groups, permissions and content
types do not) and the key store's (the list of erased subjects, kept so that
erased data stays erased when a backup is restored: SEC-05, ADR 0010).

Every other app declares its own tables in its ``privacy.py``; these two sit
below the data map in the layers (docs/architecture.md), so it declares them.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy

from roamwise.vault.models import Tombstone

from .registry import (
    Declaration,
    Erasure,
    NotPersonal,
    PersonalField,
    Retention,
    data_map,
)

# A browser waiting for an email verification code holds the address in its
# session before anyone is signed in there, so allauth's user sessions do not
# list it: the key of each such session is noted in the cache (for as long as
# a session lives), so that an erasure finds it too.
PENDING_SESSIONS_KEY = "datamap:pending-sessions:{}"


def pending_session_note(*, user_pk: int, session_key: str) -> None:
    """A session of no signed-in user holds ``user_pk``'s data (a sign-up
    waiting for its verification code)."""
    key = PENDING_SESSIONS_KEY.format(user_pk)
    keys = [k for k in cache.get(key, []) if k != session_key][-9:]
    cache.set(key, [*keys, session_key], timeout=settings.SESSION_COOKIE_AGE)


def _sessions_of(user: object) -> QuerySet[Session]:
    from allauth.usersessions.models import UserSession

    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    keys += cache.get(PENDING_SESSIONS_KEY.format(user.pk), [])  # type: ignore[attr-defined]
    return Session.objects.filter(session_key__in=keys)


data_map.declare(
    Declaration(
        model="sessions.Session",
        label=gettext_lazy("Browser sessions"),
        subject=_sessions_of,
        description=gettext_lazy("Browser sessions: who is signed in, and the login in progress."),
        fields=(
            PersonalField("session_data", "user.behavior.session"),
            PersonalField("session_key", "user.authorization.credentials"),
            PersonalField("expire_date", "user.behavior.session"),
        ),
        purposes=("account", "security"),
        legal_basis="contract",
        retention=Retention.after(0, anchor="expire_date", summary="Until the session expires"),
        erasure=Erasure.delete(),
    )
)


def _admin_log_of(user: object) -> QuerySet[LogEntry]:
    """A staff member's own entries, and entries about a customer's account,
    whose ``object_repr`` is the account's username (ADR 0004, 0010)."""
    from django.contrib.auth import get_user_model

    account = ContentType.objects.get_for_model(get_user_model())
    return LogEntry.objects.filter(
        Q(user=user) | Q(content_type=account, object_id=str(user.pk))  # type: ignore[attr-defined]
    )


data_map.declare(
    Declaration(
        model="admin.LogEntry",
        label=gettext_lazy("Back-office actions"),
        subject=_admin_log_of,
        description=gettext_lazy(
            "The back office's record of staff actions: a staff member's own, and those "
            "about a customer's account (which name its username)."
        ),
        fields=(
            PersonalField("object_repr", "user.staff.activity"),
            PersonalField("change_message", "user.staff.activity"),
            PersonalField("user", "user.staff.activity"),
            PersonalField("action_time", "user.staff.activity"),
            PersonalField("action_flag", "user.staff.activity"),
            PersonalField("object_id", "user.staff.activity"),
        ),
        purposes=("security",),
        legal_basis="legitimate_interest",
        retention=Retention.after(730, anchor="action_time", summary="2 years"),
        erasure=Erasure.delete(),
    )
)

for model, reason in [
    ("auth.Group", "Names of staff roles."),
    ("auth.Permission", "Names of permissions."),
    ("contenttypes.ContentType", "Names of models."),
    ("vault.DataKey", "Key material with no personal content; destroyed on erasure."),
]:
    data_map.declare_not_personal(NotPersonal(model=model, reason=reason))

data_map.declare_not_personal(
    NotPersonal(
        "admin.LogEntry",
        fields=("content_type",),
        reason=(
            "The kind of record a staff member changed (a Django content type), the same for "
            "every row of that kind."
        ),
    )
)


# The key store (vault).
ERASURE_PROOF = "Proof of erasure: a restored backup is erased again (SEC-05)"


def _tombstone_of(user: object) -> QuerySet[Tombstone]:
    return Tombstone.objects.filter(subject_id=user.public_id)  # type: ignore[attr-defined]


data_map.declare(
    Declaration(
        model="vault.Tombstone",
        label=gettext_lazy("Record of an erasure"),
        subject=_tombstone_of,
        description=gettext_lazy(
            "After we erase your data: your customer number and the date, and nothing "
            "else, so that a restored backup is erased again."
        ),
        fields=(
            PersonalField("subject_id", "user.unique_id"),
            PersonalField("erased_at", "user.account.settings"),
        ),
        purposes=("legal",),
        legal_basis="legal_obligation",
        retention=Retention(
            action="keep",
            period=None,
            anchor="",
            legal_obligation=ERASURE_PROOF,
            summary="As long as a backup made before the erasure may exist",
        ),
        erasure=Erasure.retain(ERASURE_PROOF),
        location="key_store",
    )
)

data_map.declare_not_personal(
    NotPersonal(
        model="vault.AuditAnchor",
        reason="Event numbers and hashes of the staff access log: no personal content.",
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "core.ShopIdentity",
        reason=(
            "The seller's own business details and the shop's branding (legal name, "
            "registered address, support phone), published on every invoice and page: "
            "a company's, not a customer's."
        ),
    )
)
