"""How supplier adapters call out: through the one shared client
(``roamwise.core.http``), with typed supplier errors, and 429 answered by
waiting what Retry-After says, within a bound."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings

from roamwise.core.http import TransportError
from roamwise.suppliers.errors import (
    SupplierError,
    SupplierNotFound,
    SupplierRejected,
    SupplierUnavailable,
)

logger = logging.getLogger(__name__)

# When a 429 says nothing of how long to wait.
DEFAULT_RETRY_AFTER = 1.0


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

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
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

    def _error(self, exc: TransportError, status: int | None, wait: float) -> SupplierError:
        code = self.supplier_code
        logger.warning("supplier %s: %s", code, exc)
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
