from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from .identity import shop_identity


def site(request: HttpRequest) -> dict[str, Any]:
    identity = shop_identity()
    return {
        "site_name": identity.shop_name,
        "shop": identity,
        "privacy_email": settings.PRIVACY_EMAIL,
        "support_phone": identity.support_phone,
        "support_hours": identity.support_hours,
        "account_deletion_days": settings.ACCOUNT_DELETION_GRACE_DAYS,
    }
