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
    # The campaign whose email carried the link, so the unsubscribe is counted there.
    campaign_public_id: uuid.UUID | None = None


def unsubscribe_token(
    *, user_public_id: uuid.UUID, kind: str, campaign_public_id: uuid.UUID | None = None
) -> str:
    data = {"u": user_public_id.hex, "k": kind}
    if campaign_public_id is not None:
        data["c"] = campaign_public_id.hex
    return signing.Signer(salt=_SALT).sign_object(data)


def unsubscribe_token_read(token: str) -> UnsubscribeToken | None:
    try:
        data = signing.Signer(salt=_SALT).unsign_object(token)
        campaign = data.get("c")
        return UnsubscribeToken(
            user_public_id=uuid.UUID(hex=data["u"]),
            kind=str(data["k"]),
            campaign_public_id=uuid.UUID(hex=campaign) if campaign else None,
        )
    except (signing.BadSignature, AttributeError, KeyError, TypeError, ValueError):
        return None
