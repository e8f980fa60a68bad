from __future__ import annotations

from django.db.models import Prefetch

from .errors import UnknownSubscription
from .iccids import normalise_iccid
from .models import NetworkBundle, NetworkSubscription


def subscription_get(*, iccid: str) -> NetworkSubscription:
    """A line with its bundles (oldest first), or ``UnknownSubscription``."""
    bundles = NetworkBundle.objects.order_by("added_at", "pk")
    subscription = (
        NetworkSubscription.objects.prefetch_related(Prefetch("bundles", queryset=bundles))
        .filter(iccid=normalise_iccid(iccid))
        .first()
    )
    if subscription is None:
        raise UnknownSubscription("The network does not know this ICCID.")
    return subscription
