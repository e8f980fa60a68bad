"""The one HTTP client of supplier adapters: explicit timeouts, typed errors,
and 429 answered by waiting what Retry-After says (within a bound)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import requests

from roamwise.suppliers.errors import SupplierUnavailable

logger = logging.getLogger(__name__)

# RFC 9110 10.2.3: Retry-After in seconds (the HTTP-date form is read as "unknown").
DEFAULT_RETRY_AFTER = 1.0


def retry_after_seconds(response: requests.Response) -> float:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return DEFAULT_RETRY_AFTER


class SupplierHttp:
    """Sends one request; on 429 waits Retry-After and sends it again, up to
    ``max_wait`` seconds in all. A 429 means the request was not processed, so
    repeating it cannot double an order. A timeout is not repeated: its answer
    is lost, and the caller reconciles first (polling by our transaction id)."""

    def __init__(
        self,
        *,
        supplier_code: str,
        timeout: float,
        max_wait: float,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.supplier_code = supplier_code
        self.timeout = timeout
        self.max_wait = max_wait
        self.session = session or requests.Session()
        self.sleep = sleep

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        waited = 0.0
        while True:
            try:
                response = self.session.request(method, url, timeout=self.timeout, **kwargs)
            except requests.RequestException as exc:
                logger.warning(
                    "supplier %s: %s %s failed: %s", self.supplier_code, method, url, exc
                )
                raise SupplierUnavailable(
                    f"{self.supplier_code} could not be reached", supplier_code=self.supplier_code
                ) from exc
            if response.status_code == 429:
                wait = retry_after_seconds(response)
                if waited + wait > self.max_wait:
                    logger.warning(
                        "supplier %s: rate limited, retry in %ss", self.supplier_code, wait
                    )
                    raise SupplierUnavailable(
                        f"{self.supplier_code} is rate limiting us",
                        supplier_code=self.supplier_code,
                        retry_after=wait,
                    )
                self.sleep(wait)
                waited += wait
                continue
            if response.status_code >= 500:
                logger.warning(
                    "supplier %s: %s %s answered %s",
                    self.supplier_code,
                    method,
                    url,
                    response.status_code,
                )
                raise SupplierUnavailable(
                    f"{self.supplier_code} failed (HTTP {response.status_code})",
                    supplier_code=self.supplier_code,
                    retry_after=retry_after_seconds(response)
                    if "Retry-After" in response.headers
                    else 0,
                )
            return response
