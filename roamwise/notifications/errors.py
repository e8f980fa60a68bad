from __future__ import annotations

from roamwise.core.errors import DomainError


class InvalidUnsubscribeLink(DomainError):
    code = "invalid_unsubscribe_link"
    status = 404


class PreferenceLocked(DomainError):
    code = "preference_locked"
    status = 422


class CampaignNotReady(DomainError):
    code = "campaign_not_ready"
    status = 409


class CampaignNotAllowed(DomainError):
    code = "campaign_not_allowed"
    status = 403
