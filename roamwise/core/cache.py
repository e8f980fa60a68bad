"""The Redis cache backend: Django's, except that clearing it clears its own keys."""

from __future__ import annotations

import re

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache


class RedisCache(DjangoRedisCache):
    """Django's ``clear()`` empties the whole Redis database (FLUSHDB). The job
    queue lives there too when ``REDIS_URL`` is shared, and so do the keys of
    another test worker (ADR 0019); this one removes the keys under this
    cache's ``KEY_PREFIX`` only."""

    def clear(self) -> None:
        client = self._cache.get_client(None, write=True)
        # A prefix may hold glob characters; match them literally.
        pattern = re.sub(r"([\\*?\[\]])", r"\\\1", self.key_prefix) + ":*"
        batch: list[bytes] = []
        for key in client.scan_iter(match=pattern, count=1000):
            batch.append(key)
            if len(batch) == 1000:
                client.delete(*batch)
                batch = []
        if batch:
            client.delete(*batch)
