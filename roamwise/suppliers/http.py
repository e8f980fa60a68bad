"""How supplier adapters call out: through the one shared client
(``roamwise.core.http``), with typed supplier errors, and 429 answered by
waiting what Retry-After says, within a bound.

Every request says what personal data it carries (``sends``): a request about
a customer's order or eSIM is written to the disclosure log here, once, before
it leaves (SHR-03), whichever adapter sends it; one about no one (the
catalogue, a token, our credit) says ``sends=None``."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q

from roamwise.core import metrics
from roamwise.core.http import TransportError
from roamwise.datamap.registry import data_map
from roamwise.kernel.disclosures import disclosure_record
from roamwise.suppliers.errors import (
    SupplierError,
    SupplierNotFound,
    SupplierRejected,
    SupplierUnavailable,
)
from roamwise.suppliers.models import Allocation

logger = logging.getLogger(__name__)

# When a 429 says nothing of how long to wait.
DEFAULT_RETRY_AFTER = 1.0
# What the requests about an order carry (the data map's categories).
ORDER = ("user.behavior.purchase_history",)  # the package, under our transaction id
ESIM = ("user.device.sim",)  # the ICCID of the customer's eSIM
TOP_UP = (*ORDER, *ESIM)


@dataclass(frozen=True)
class Sent:
    """The personal data one request carries, and what identifies its order at
    the supplier (one of the three), so that its customer is known."""

    categories: tuple[str, ...]
    transaction_id: str = ""
    reference: str = ""
    iccid: str = ""


class SupplierHttp:
    """Sends one request; on 429 waits Retry-After and sends it again, up to
    ``max_wait`` seconds in all. A 429 means the request was not processed, so
    repeating it cannot double an order. A timeout is not repeated: its answer
    is lost, and the caller reconciles first (by our transaction id)."""

    # ``send`` is the shared client's, passed in by the adapter: the adapter is
    # what the outbound scan knows as sending to its recipient (SHR-01).
    def __init__(
        self,
        *,
        supplier_code: str,
        send: Callable[..., Any],
        timeout: float,
        max_wait: float,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.supplier_code = supplier_code
        self.send = send
        self.timeout = timeout
        self.max_wait = max_wait
        self.sleep = sleep

    @classmethod
    def configured(cls, *, supplier_code: str, send: Callable[..., Any]) -> SupplierHttp:
        """With the timeout and the longest wait on 429 from settings, as every adapter uses."""
        return cls(
            supplier_code=supplier_code,
            send=send,
            timeout=settings.HTTP_TIMEOUT_SECONDS,
            max_wait=settings.SUPPLIER_MAX_RETRY_WAIT,
        )

    def request(self, method: str, url: str, *, sends: Sent | None, **kwargs: Any) -> Any:
        if sends is not None:
            # Logged before the call: once sent, it is disclosed even if the answer is lost.
            self._disclose(sends)
        waited = 0.0
        while True:
            try:
                return self.send(method, url, timeout=self.timeout, **kwargs)
            except TransportError as exc:
                status = exc.status
                wait = exc.retry_after or DEFAULT_RETRY_AFTER
                if status == 429 and waited + wait <= self.max_wait:
                    self.sleep(wait)
                    waited += wait
                    continue
                raise self._error(exc, status, wait) from exc

    def _disclose(self, sent: Sent) -> None:
        identifiers = {
            "transaction_id": sent.transaction_id,
            "reference": sent.reference,
            "iccid": sent.iccid,
        }
        match = Q(pk__in=[])
        for field, value in identifiers.items():
            if value:
                match |= Q(**{field: value})
        allocation = (
            Allocation.objects.filter(match, supplier=self.supplier_code, order__isnull=False)
            .select_related("order__customer")
            .order_by("pk")
            .first()
        )
        if allocation is None or allocation.order is None:
            # No order of ours is behind it (an allocation placed without one,
            # as the adapter's own tests do): nobody's data goes with it.
            logger.info("supplier %s: a call about no customer's order", self.supplier_code)
            return
        # Within what the adapter declares it sends (``privacy.py``, SHR-02).
        declared = data_map.sends[f"roamwise.suppliers.{self.supplier_code}"].categories
        if not set(sent.categories) <= set(declared):
            raise ValueError(f"{self.supplier_code}: sends {sent.categories}, beyond {declared}")
        # The recipient is the adapter's own (outbound.SHARED_CLIENTS); an
        # unregistered one is refused here, before anything is sent (SHR-01).
        disclosure_record(
            subject_id=allocation.order.customer.public_id,
            recipient=self.supplier_code,
            categories=sent.categories,
            purpose="service",
            reference=str(allocation.order.public_id),
        )

    def _error(self, exc: TransportError, status: int | None, wait: float) -> SupplierError:
        code = self.supplier_code
        logger.warning("supplier %s: %s", code, exc)
        metrics.SUPPLY_ERRORS.labels(source=code, code=str(status or "no answer")).inc()
        if status == 429:
            return SupplierUnavailable(
                f"{code} is rate limiting us", supplier_code=code, detail="429", retry_after=wait
            )
        if not exc.permanent:
            return SupplierUnavailable(
                f"{code} is unavailable ({status or 'no answer'})",
                supplier_code=code,
                retry_after=exc.retry_after,
            )
        if status == 404:
            return SupplierNotFound(f"{code}: {exc}", supplier_code=code, detail="404")
        return SupplierRejected(f"{code}: {exc}", supplier_code=code, detail=str(status))
