"""Reads: the bell, the list, preferences, and whether marketing may be sent."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from roamwise.accounts.models import User

from .kinds import CHANNEL_LABELS, KINDS, Channel, Kind
from .models import Notification, OutboundEmail, Preference


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
