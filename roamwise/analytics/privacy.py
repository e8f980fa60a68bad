"""Analytics events are pseudonymous personal data until aggregated."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from roamwise.datamap.registry import (
    Declaration,
    Erasure,
    NotPersonal,
    PersonalField,
    Retention,
    data_map,
)

from .models import Event


def _events_of(user: Any) -> QuerySet[Event]:
    from .selectors import visitor_hashes_of_user

    return Event.objects.filter(visitor__in=visitor_hashes_of_user(user=user))


data_map.declare(
    Declaration(
        model="analytics.Event",
        label=gettext_lazy("Site analytics"),
        subject=_events_of,
        description=gettext_lazy(
            "With your consent to analytics: pages you viewed on this site, time on each "
            "page and clicks, with the country of your connection. No IP address, no "
            "browser details; the visitor id is a keyed hash that changes every day."
        ),
        fields=(
            PersonalField("visitor", "user.unique_id"),
            PersonalField("path", "user.behavior.browsing_history"),
            PersonalField("target", "user.behavior.browsing_history"),
            PersonalField("dwell_ms", "user.behavior.browsing_history"),
            PersonalField("country", "user.location.imprecise"),
            PersonalField("kind", "user.behavior.browsing_history"),
            PersonalField("step", "user.behavior.browsing_history"),
            PersonalField("destination", "user.behavior.browsing_history"),
            PersonalField("created_at", "user.behavior.browsing_history"),
        ),
        purposes=("analytics",),
        legal_basis="consent",
        retention=Retention.after(
            90,
            summary="90 days, then only anonymous daily counts are kept",
            sweeper="roamwise.analytics.services.analytics_events_sweep",
        ),
        erasure=Erasure.delete(),
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "analytics.DailyCount",
        reason="Anonymous daily totals (visits, funnel steps, destinations); no identifier.",
    )
)
