"""Signed one-click unsubscribe tokens: who, and for which kind of message.

They never expire: an unsubscribe link in an old email must still work.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.core import signing

_SALT = "roamwise.notifications.unsubscribe"


@dataclass(frozen=True)
class UnsubscribeToken:
    user_public_id: uuid.UUID
    kind: str


def unsubscribe_token(*, user_public_id: uuid.UUID, kind: str) -> str:
    return signing.Signer(salt=_SALT).sign_object({"u": user_public_id.hex, "k": kind})


def unsubscribe_token_read(token: str) -> UnsubscribeToken | None:
    try:
        data = signing.Signer(salt=_SALT).unsign_object(token)
        return UnsubscribeToken(user_public_id=uuid.UUID(hex=data["u"]), kind=str(data["k"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
