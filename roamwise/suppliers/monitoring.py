"""What wholesalers tell us after the sale (ADR 0024): the usage of their
eSIMs, by webhook and by polling within their limits, and our prepaid credit.

A supplier reports usage as running totals (data used of the eSIM's whole
allowance), not sessions. Each reading is turned into the data used since the
last one and stored as one usage record of the supplier's usage source, so
that it feeds the same balances, daily chart and low-data alerts as a network
partner's sessions (``usage.services.usage_ingest_supplied``). The running
total is the record's id: the same reading twice is a duplicate, and an older
reading arriving after a newer one adds nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from roamwise.esims.models import BYTES_PER_MB, Esim, EsimState
from roamwise.suppliers.base import Capability, Money, Usage
from roamwise.suppliers.errors import SupplierError, SupplierUnavailable
from roamwise.suppliers.models import Allocation, SupplierCredit
from roamwise.suppliers.registry import configured_suppliers, supplier_class, supplier_for
from roamwise.usage import services as usage

logger = logging.getLogger(__name__)

# eSIMs whose usage is worth asking for: a profile on a device, or about to be.
POLLED_STATES = (EsimState.READY, EsimState.INSTALLED, EsimState.ACTIVE)
# At most this many eSIMs of one supplier are polled per run of the job.
POLL_BATCH = 200
# Back-off when a 429 says nothing of how long to wait.
RATE_LIMIT_BACKOFF = timedelta(minutes=1)
NAMES = {"airalo": "Airalo", "esimaccess": "eSIM Access", "esimgo": "eSIM Go"}


def supplied_allocation(*, iccid: str, supplier_code: str) -> Allocation | None:
    """The allocation whose profile is a live eSIM of ours with this ICCID."""
    from roamwise.esims.selectors import esim_by_iccid

    esim = esim_by_iccid(iccid)
    if esim is None or esim.state in (EsimState.DELETED, EsimState.FAILED):
        return None
    return Allocation.objects.filter(
        order_id=esim.order_id,
        supplier=supplier_code,
        disposition=Allocation.Disposition.FULFILLED,
    ).first()


def usage_apply(*, allocation_id: int, reading: Usage, at: datetime | None = None) -> int:
    """Apply one usage reading of a supplied eSIM: the data used since the
    last reading is charged to its bundles, once. Returns the bytes charged."""
    at = at or reading.measured_at or timezone.now()
    with transaction.atomic():
        allocation = Allocation.objects.select_for_update().get(pk=allocation_id)
        esim = Esim.objects.filter(order__allocations=allocation).first()
        if esim is None:
            return 0
        # The freshness the customer sees: the supplier has just told us.
        read_at = max(at, allocation.usage_read_at) if allocation.usage_read_at else at
        used = reading.used_mb * BYTES_PER_MB
        before = allocation.usage_used_bytes or 0
        added = used - before
        Allocation.objects.filter(pk=allocation.pk).update(
            usage_read_at=read_at, usage_used_bytes=max(used, before)
        )
        if reading.unlimited or added <= 0:
            # Unlimited packages report no figures; an older reading adds nothing.
            return 0
        since = max(allocation.usage_read_at or esim.ready_at or esim.created_at, esim.created_at)
        until = max(at, since)
        usage.usage_ingest_supplied(
            partner=usage.supplier_partner(
                code=f"supplier-{allocation.supplier}",
                name=NAMES.get(allocation.supplier, allocation.supplier),
            ),
            esim=esim,
            # The running total identifies the reading: a repeat is a duplicate.
            record_id=f"{allocation.transaction_id}:{used}"[:64],
            since=since,
            until=until,
            bytes_total=added,
        )
    return added


def usage_refresh(*, allocation_id: int, now: datetime | None = None) -> str:
    """Ask the supplier for one eSIM's usage, unless it was asked within its
    cache interval or a 429 asked us to wait; then apply the reading."""
    now = now or timezone.now()
    allocation = Allocation.objects.get(pk=allocation_id)
    if allocation.usage_poll_after and allocation.usage_poll_after > now:
        return "not yet"
    supplier = supplier_for(allocation.supplier)
    if Capability.USAGE not in supplier.capabilities:
        return "not offered"
    # Claimed before the call: two workers do not ask for the same ICCID at once.
    claimed = Allocation.objects.filter(
        Q(usage_poll_after__isnull=True) | Q(usage_poll_after__lte=now), pk=allocation.pk
    ).update(usage_poll_after=now + supplier.usage_interval)
    if not claimed:
        return "not yet"
    try:
        reading = supplier.usage(iccid=allocation.iccid)
    except SupplierUnavailable as exc:
        wait = timedelta(seconds=exc.retry_after) if exc.retry_after else RATE_LIMIT_BACKOFF
        Allocation.objects.filter(pk=allocation.pk).update(
            usage_poll_after=now + max(wait, supplier.usage_interval)
        )
        raise
    usage_apply(allocation_id=allocation.pk, reading=reading, at=now)
    return "read"


def usage_poll(*, now: datetime | None = None) -> dict[str, int]:
    """The periodic job: read the usage of every live supplied eSIM that is due,
    the least recently read first. A supplier that is down or rate limiting
    us is left alone for the rest of the run. Returns readings per supplier."""
    now = now or timezone.now()
    outcome: dict[str, int] = {}
    for code in configured_suppliers():
        if Capability.USAGE not in supplier_class(code).capabilities:
            continue
        due = (
            Allocation.objects.filter(
                supplier=code,
                disposition=Allocation.Disposition.FULFILLED,
                order__esim__state__in=POLLED_STATES,
            )
            .filter(Q(usage_poll_after__isnull=True) | Q(usage_poll_after__lte=now))
            .order_by(F("usage_read_at").asc(nulls_first=True), "pk")
            .values_list("pk", flat=True)[:POLL_BATCH]
        )
        read = 0
        for allocation_id in due:
            try:
                if usage_refresh(allocation_id=allocation_id, now=now) == "read":
                    read += 1
            except SupplierUnavailable as exc:
                logger.warning("supplier %s: usage polling paused: %s", code, exc.message)
                break
            except SupplierError as exc:
                logger.warning(
                    "supplier %s: usage of allocation %s: %s", code, allocation_id, exc.message
                )
        outcome[code] = read
    return outcome


# --- Credit -----------------------------------------------------------------------


def credit_floor(supplier_code: str) -> Decimal:
    floor = getattr(settings, f"{supplier_code.upper()}_CREDIT_FLOOR", 0)
    return Decimal(str(floor))


def credit_record(*, supplier_code: str, balance: Money, now: datetime | None = None) -> bool:
    """Store a reading of our credit; alert staff once when it is below the
    supplier's floor (again only after it was above it). True if alerted."""
    now = now or timezone.now()
    floor = credit_floor(supplier_code)
    with transaction.atomic():
        credit, _ = SupplierCredit.objects.select_for_update().get_or_create(
            supplier=supplier_code,
            defaults={"amount": balance.amount, "currency": balance.currency, "read_at": now},
        )
        credit.amount, credit.currency, credit.read_at = balance.amount, balance.currency, now
        alert = balance.amount < floor and credit.low_alerted_at is None
        if balance.amount >= floor:
            credit.low_alerted_at = None
        elif alert:
            credit.low_alerted_at = now
        credit.save()
    if alert:
        logger.warning(
            "supplier %s: credit %s %s is below its floor %s",
            supplier_code,
            balance.amount,
            balance.currency,
            floor,
        )
        from roamwise.orders.tasks import staff_alert

        staff_alert(
            f"Credit at {NAMES.get(supplier_code, supplier_code)} is low",
            f"Our prepaid balance at {supplier_code} is {balance.amount} {balance.currency}, "
            f"below the floor of {floor} ({supplier_code.upper()}_CREDIT_FLOOR). "
            "Orders there fail over to the next source, or are refunded, once it runs out: "
            "top it up.",
        )
    return alert


def credit_read(*, supplier_code: str) -> Money | None:
    """Read our credit where the supplier's API offers it, and record it."""
    supplier = supplier_for(supplier_code)
    if Capability.BALANCE not in supplier.capabilities:
        return None
    balance = supplier.balance()
    credit_record(supplier_code=supplier_code, balance=balance)
    return balance


def credits_check() -> dict[str, str]:
    """The periodic job: read the credit of every configured supplier."""
    outcome: dict[str, str] = {}
    for code in configured_suppliers():
        try:
            balance = credit_read(supplier_code=code)
        except SupplierError as exc:
            logger.warning("supplier %s: credit not read: %s", code, exc.message)
            outcome[code] = f"failed: {exc.message}"
            continue
        outcome[code] = "not offered" if balance is None else f"{balance.amount} {balance.currency}"
    return outcome
