"""Reads: the bell, the list, preferences, and whether marketing may be sent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import translation

from .kinds import CHANNEL_LABELS, KINDS, Channel, Kind
from .models import (
    Campaign,
    CampaignMessage,
    CampaignRecipient,
    Notification,
    OutboundEmail,
    Preference,
)
from .rendering import Rendered, render_message

if TYPE_CHECKING:
    from roamwise.accounts.models import User

CAMPAIGN_TEMPLATE = "notifications/email/campaign"


def marketing_allowed(*, user: User) -> bool:
    """The one gate of every marketing message (USE-02): opt-in consent."""
    from roamwise.consent.selectors import has_consent

    return has_consent(purpose="marketing", user=user)


def unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, in_site=True, read_at__isnull=True).count()


def notifications_of(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user, in_site=True).order_by("-created_at", "-pk")


def _choices(user: User) -> dict[tuple[str, str], bool]:
    return {
        (p.kind, p.channel): p.enabled
        for p in Preference.objects.filter(user=user).only("kind", "channel", "enabled")
    }


def channels_for(*, user: User, kind: Kind) -> list[Channel]:
    """The channels this message goes out on, after the customer's choices."""
    choices = _choices(user)
    return [
        channel
        for channel in kind.channels
        if not kind.can_turn_off(channel) or choices.get((kind.name, channel.value), True)
    ]


@dataclass(frozen=True)
class PreferenceRow:
    kind: Kind
    cells: tuple[tuple[Channel, str, bool, bool], ...]  # channel, label, enabled, locked


def preference_rows(*, user: User) -> list[PreferenceRow]:
    choices = _choices(user)
    rows = []
    for kind in KINDS.values():
        if kind.name == "staff_alert":
            continue
        cells = tuple(
            (
                channel,
                CHANNEL_LABELS[channel],
                not kind.can_turn_off(channel) or choices.get((kind.name, channel.value), True),
                not kind.can_turn_off(channel),
            )
            for channel in kind.channels
        )
        rows.append(PreferenceRow(kind=kind, cells=cells))
    return rows


def outbox_pending() -> QuerySet[OutboundEmail]:
    return OutboundEmail.objects.filter(status=OutboundEmail.Status.QUEUED).order_by("pk")


# --- Campaigns ------------------------------------------------------------------


def campaign_candidates() -> QuerySet[User]:
    """Who a campaign may reach, narrowed in the database: open, unlocked
    accounts that have ever granted marketing consent. ``marketing_allowed``
    decides for each of them at send time (the latest record, objections)."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True, consent_records__purpose="marketing", consent_records__granted=True
        )
        # Closed accounts, and children's accounts locked until a parent consents.
        .exclude(closure__isnull=False)
        .exclude(parental_consent__status="pending")
        .distinct()
    )


def campaign_audience_count() -> int:
    """How many customers a campaign sent now would reach."""
    return sum(1 for user in campaign_candidates().iterator() if marketing_allowed(user=user))


def recipient_language(*, user: User) -> str:
    """The language to write to a customer in: the one kept on their account
    (chosen in the switcher or the one of their first sign-in), else the
    site's default."""
    if user.language in dict(settings.LANGUAGES):
        return user.language
    return settings.LANGUAGE_CODE


def campaign_message_for(
    *, messages: dict[str, CampaignMessage], language: str, fallback: str
) -> CampaignMessage:
    return messages.get(language) or messages[fallback]


def campaign_preview(*, campaign: Campaign, language: str) -> Rendered | None:
    """The email as a recipient in ``language`` would get it, with a dummy
    unsubscribe link. None when there is no message to send yet."""
    messages = {m.language: m for m in campaign.messages.all()}
    if not messages.get(language) and not messages.get(campaign.fallback_language):
        return None
    message = campaign_message_for(
        messages=messages, language=language, fallback=campaign.fallback_language
    )
    context = {
        "campaign_subject": message.subject,
        "campaign_body": message.body,
        "preferences_url": settings.SITE_URL + reverse("notifications:preferences"),
        "unsubscribe_url": settings.SITE_URL
        + reverse("notifications:unsubscribe", args=["preview"]),
    }
    with translation.override(message.language):
        return render_message(CAMPAIGN_TEMPLATE, context)


@dataclass(frozen=True)
class CampaignCounts:
    sent: int
    unsubscribed: int
    # Opens would need a tracking pixel; none is sent, so they are not measured.
    opened: int | None = None


def campaign_counts(*, campaign: Campaign) -> CampaignCounts:
    rows = CampaignRecipient.objects.filter(campaign=campaign)
    return CampaignCounts(
        sent=rows.count(), unsubscribed=rows.filter(unsubscribed_at__isnull=False).count()
    )
