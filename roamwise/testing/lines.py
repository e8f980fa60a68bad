"""Lines on the network: test ICCIDs and EIDs, eSIMs in service, and the
usage records a network partner sends about them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client
from django.utils import timezone

from roamwise.accounts.models import User
from roamwise.catalog.models import Plan
from roamwise.devices.validators import eid_check_digits, luhn_check_digit
from roamwise.esims.models import Bundle, Esim, EsimState
from roamwise.esims.services.provisioning import esim_for_order
from roamwise.orders.services import order_create
from roamwise.testing.shopping import BILLING

# The test range of ICCIDs (89 44 99 0...), the one the usage partner of the
# tests covers, and a second range for another partner.
ICCID_PREFIX = "8944990"
OTHER_PREFIX = "8944991"
# A valid EID (check digits included) for a test's phone.
EID = "89049032123451234512345678901235"

# Long enough ago that every record the retention still keeps is dated after
# the profile was assigned (ingest refuses usage from before that).
IN_SERVICE_SINCE = dt.timedelta(days=400)


def iccid(number: int, prefix: str = ICCID_PREFIX) -> str:
    """The ``number``-th valid 19-digit ICCID (Luhn check digit) of a range."""
    body = f"{prefix}{number:0{18 - len(prefix)}d}"
    return body + luhn_check_digit(body)


def eid(number: int) -> str:
    """The ``number``-th valid 32-digit EID (its two check digits)."""
    body = f"89049032{number:022d}"
    return body + eid_check_digits(body)


def esim_on_line(
    customer: User,
    plan: Plan,
    line: str,
    *,
    state: str = EsimState.INSTALLED,
    bought_ago: dt.timedelta = IN_SERVICE_SINCE,
) -> Esim:
    """A paid eSIM whose profile is on the network with its plan's bundle added."""
    order = order_create(customer=customer, plan=plan, billing=BILLING)
    esim = esim_for_order(order=order)
    esim.iccid = line
    esim.state = state
    esim.save()
    esim.created_at = timezone.now() - bought_ago
    Esim.objects.filter(pk=esim.pk).update(created_at=esim.created_at)
    Bundle.objects.filter(esim=esim).update(
        state=Bundle.State.ACTIVE, network_added_at=timezone.now() - dt.timedelta(days=2)
    )
    return esim


def record(
    record_id: str,
    line: str,
    *,
    hours_ago: float = 2,
    up: int = 1_000,
    down: int = 9_000,
    **extra: Any,
) -> dict[str, Any]:
    """One usage record as the network partner sends it: a 30-minute session."""
    start = timezone.now() - dt.timedelta(hours=hours_ago)
    return {
        "record_id": record_id,
        "iccid": line,
        "session_start": start.isoformat(),
        "session_end": (start + dt.timedelta(minutes=30)).isoformat(),
        "bytes_up": up,
        "bytes_down": down,
        "visited_network": "20801",
        **extra,
    }


def post_batch(client: Client, key: str, records: Any) -> Any:
    """Post ``records`` to the usage API with the partner's ``key``."""
    return client.post(
        "/api/v1/usage/records",
        {"records": records},
        content_type="application/json",
        headers={"authorization": f"Bearer {key}"},
    )
