"""The ceiling of bench/storefront.py: a plain WSGI application, no Django.

Served by the same gunicorn command as the shop (``web_server_command``), it
answers every path with "hello" repeated to the size of the page the bench
measured at that path (``BENCH_BODY_SIZES``, a JSON object of path -> bytes;
other paths get "hello"), so that the server, the sockets and the bytes sent
are the shop's and nothing else is: what any application on these settings
can reach.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable

SIZES: dict[str, int] = json.loads(os.environ.get("BENCH_BODY_SIZES", "{}"))
BODIES = {path: (b"hello\n" * (size // 6 + 1))[:size] for path, size in SIZES.items()}


def application(
    environ: dict[str, object], start_response: Callable[..., object]
) -> Iterable[bytes]:
    body = BODIES.get(str(environ.get("PATH_INFO", "")), b"hello\n")
    start_response(
        "200 OK",
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]
