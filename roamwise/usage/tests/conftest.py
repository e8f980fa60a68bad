from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from roamwise.accounts.models import User
from roamwise.catalog.models import Plan
from roamwise.devices.validators import luhn_check_digit
from roamwise.esims.models import Bundle, Esim, EsimState
from roamwise.esims.services import esim_for_order
from roamwise.orders.services import BillingDetails, order_create
from roamwise.usage import services
from roamwise.usage.models import Partner

PREFIX = "8944990"
OTHER_PREFIX = "8944991"
BILLING = BillingDetails(
    name="Alice Example",
    line1="1 Rue de Rivoli",
    line2="",
    city="Paris",
    postcode="75001",
    country="FR",
    phone="+33612345678",
)


def iccid(number: int, prefix: str = PREFIX) -> str:
    body = f"{prefix}{number:0{18 - len(prefix)}d}"
    return body + luhn_check_digit(body)


# Long enough ago that every record the retention still keeps is dated after
# the profile was assigned (ingest refuses usage from before that).
IN_SERVICE_SINCE = dt.timedelta(days=400)


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


@pytest.fixture
def partner(db: None) -> tuple[Partner, str]:
    return services.partner_create(
        code="orange-roaming", name="Orange Roaming", iccid_prefixes=PREFIX
    )


@pytest.fixture
def other_partner(db: None) -> tuple[Partner, str]:
    return services.partner_create(
        code="other-network", name="Other Network", iccid_prefixes=OTHER_PREFIX
    )


@pytest.fixture
def line_esim(alice: User, plan: Plan) -> Esim:
    return esim_on_line(alice, plan, iccid(1))


def post_batch(client: Client, key: str, records: Any) -> Any:
    return client.post(
        "/api/v1/usage/records",
        {"records": records},
        content_type="application/json",
        headers={"authorization": f"Bearer {key}"},
    )
