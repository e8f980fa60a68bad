from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from roamwise.orders.tasks import FULFILLERS
from roamwise.orders.tests.holding import HELD

from .smdp_proxy import SmdpProxy


@pytest.fixture
def smdp(shop: str, settings: object) -> Iterator[SmdpProxy]:
    """The SM-DP+ simulator on loopback, behind a recording, fault-injecting proxy.
    The shop fixture serves it, the network partner and the notification
    endpoint, and stocks ten profiles."""
    proxy = SmdpProxy(f"{shop}/smdp")
    settings.ES2PLUS_URL = proxy.url  # type: ignore[attr-defined]
    settings.ES2PLUS_TIMEOUT_SECONDS = 1  # type: ignore[attr-defined]
    stock_the_batch()
    yield proxy
    proxy.close()


def stock_the_batch() -> int:
    """The operator's list of its profiles at the SM-DP+ (what the vendor's batch
    file gives), loaded into the shop as ``manage.py esim_stock`` does."""
    from roamwise.esims.services.provisioning import profile_stock_add
    from roamwise.smdp.models import SmdpProfile

    added = 0
    for profile_type in set(SmdpProfile.objects.values_list("profile_type", flat=True)):
        iccids = SmdpProfile.objects.filter(profile_type=profile_type, operator="roamwise")
        added += profile_stock_add(
            profile_type=profile_type, iccids=list(iccids.values_list("iccid", flat=True))
        )
    return added


@contextmanager
def fulfilment_held() -> Iterator[None]:
    """Orders get paid inside, but their eSIM is left for the test to provision."""
    saved = FULFILLERS["esim"]
    FULFILLERS["esim"] = HELD
    try:
        yield
    finally:
        FULFILLERS["esim"] = saved
