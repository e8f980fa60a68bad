from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    return {
        "site_name": settings.SITE_NAME,
        "privacy_email": settings.PRIVACY_EMAIL,
        "support_phone": settings.SUPPORT_PHONE,
        "support_hours": settings.SUPPORT_HOURS,
        "account_deletion_days": settings.ACCOUNT_DELETION_GRACE_DAYS,
    }
