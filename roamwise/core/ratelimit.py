"""A fixed-window request counter in the shared cache (USE-05).

The cache is Redis in production and the database cache otherwise, so every
worker process counts against the same window.
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.utils.translation import gettext

from .errors import DomainError


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def rate_limit(*, key: str, limit: int, window_seconds: int) -> None:
    """Count one request against ``key``; ``RateLimited`` once over ``limit``."""
    now = int(time.time())
    window_start = now - now % window_seconds
    cache_key = f"ratelimit:{key}:{window_start}"
    # add() is atomic: only the first request of a window creates the counter.
    if cache.add(cache_key, 1, timeout=window_seconds + 1):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add() and incr()
            cache.add(cache_key, 1, timeout=window_seconds + 1)
            count = 1
    if count > limit:
        retry_after = max(1, window_start + window_seconds - now)
        raise RateLimited(
            gettext(
                "Too many requests: at most %(limit)s every %(window_seconds)s seconds. "
                "Try again in %(retry_after)s seconds."
            )
            % {"limit": limit, "window_seconds": window_seconds, "retry_after": retry_after},
            retry_after=retry_after,
        )
