"""Django's own tables: sessions and the admin's action log hold personal data;
groups, permissions and content types do not."""

from __future__ import annotations

from django.contrib.sessions.models import Session
from django.db.models import QuerySet

from roamwise.datamap.registry import (
    Declaration,
    Erasure,
    NotPersonal,
    PersonalField,
    Retention,
    data_map,
)


def _sessions_of(user: object) -> QuerySet[Session]:
    from allauth.usersessions.models import UserSession

    keys = UserSession.objects.filter(user=user).values("session_key")
    return Session.objects.filter(session_key__in=keys)


data_map.declare(
    Declaration(
        model="sessions.Session",
        subject=_sessions_of,
        description="Browser sessions: who is signed in, and the login in progress.",
        fields=(PersonalField("session_data", "user.behavior.session"),),
        purposes=("account", "security"),
        legal_basis="contract",
        retention=Retention.after(0, anchor="expire_date", summary="Until the session expires"),
        erasure=Erasure.delete(),
    )
)

data_map.declare(
    Declaration(
        model="admin.LogEntry",
        subject="user",
        description="The back office's record of staff actions (the staff member is the subject).",
        fields=(
            PersonalField("object_repr", "user.staff.activity"),
            PersonalField("change_message", "user.staff.activity"),
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
