"""A fault switch for the stand-ins of outside systems (ADR 0017).

The SM-DP+ simulator and the simulated payment processor can be told, over
their own admin endpoint, to misbehave for a while the way real ones do:

``slow``         act, then answer after the caller has given up (a timeout
                 after the work was done: the nastiest kind)
``garbage``      act, then answer 200 with something that is not the protocol
``unavailable``  answer 503 without acting

with a ``rate`` (the share of requests affected) and a duration. The state is
a small file in the data folder, so every worker process of the stand-in (and
the job consumer delivering its webhooks) sees it. The switch exists only when
``SIMULATOR_FAULTS`` is on, and only the stand-ins read it: the shop's own
code paths never do.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import wraps
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

MODES = ("none", "slow", "garbage", "unavailable")
GARBAGE = b"<html><body><h1>502 Bad Gateway</h1>upstream \x00 reset</body></html>"


@dataclass(frozen=True)
class Fault:
    mode: str = "none"
    rate: float = 1.0
    until: float = 0.0
    delay: float = 5.0

    @property
    def active(self) -> bool:
        return self.mode != "none" and time.time() < self.until


def _path(system: str) -> Path:
    return Path(settings.DATA_DIR) / "faults" / f"{system}.json"


def fault_get(system: str) -> Fault:
    try:
        raw = json.loads(_path(system).read_text())
        return Fault(**{k: raw[k] for k in ("mode", "rate", "until", "delay")})
    except (OSError, ValueError, KeyError, TypeError):
        return Fault()


def fault_set(
    system: str, *, mode: str, seconds: float = 60.0, rate: float = 1.0, delay: float = 5.0
) -> Fault:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    if not (0 <= rate <= 1 and 0 <= seconds <= 86_400 and 0 <= delay <= 25):
        raise ValueError("rate is 0..1, seconds 0..86400, delay 0..25")
    fault = Fault(mode=mode, rate=rate, until=time.time() + seconds, delay=delay)
    path = _path(system)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(asdict(fault)))
    temporary.replace(path)  # atomic: a reader sees the old state or the new one
    return fault


def fault_now(system: str) -> Fault | None:
    """The fault to apply to this request, if any (drawn at the configured rate)."""
    if not settings.SIMULATOR_FAULTS:
        return None
    fault = fault_get(system)
    if fault.active and random.random() < fault.rate:
        return fault
    return None


def faulty(system: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Wrap a stand-in's view so that the switch can make it misbehave."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            fault = fault_now(system)
            if fault is not None and fault.mode == "unavailable":
                return HttpResponse(status=503)
            response = view(request, *args, **kwargs)
            if fault is None:
                return response
            if fault.mode == "slow":
                time.sleep(fault.delay)
                return response
            garbled = HttpResponse(GARBAGE, status=200, content_type="text/html")
            for name, value in response.items():  # protocol headers stay: the body is wrong
                if name.lower() not in ("content-type", "content-length"):
                    garbled[name] = value
            return garbled

        return wrapped

    return decorate


def fault_admin_view(
    system: str, authorised: Callable[[HttpRequest], bool]
) -> Callable[[HttpRequest], HttpResponse]:
    """``GET`` the stand-in's fault state; ``POST {"mode", "seconds", "rate", "delay"}``
    to set it. Not found unless ``SIMULATOR_FAULTS`` is on."""

    @csrf_exempt  # a machine endpoint of the stand-in, not a form
    def view(request: HttpRequest) -> HttpResponse:
        if not settings.SIMULATOR_FAULTS:
            return JsonResponse({"error": "not found"}, status=404)
        if not authorised(request):
            return JsonResponse({"error": "unauthorised"}, status=401)
        if request.method == "POST":
            try:
                body = json.loads(request.body)
                fault_set(
                    system,
                    mode=str(body["mode"]),
                    seconds=float(body.get("seconds", 60)),
                    rate=float(body.get("rate", 1)),
                    delay=float(body.get("delay", 5)),
                )
            except (ValueError, KeyError, TypeError, RecursionError) as exc:
                return JsonResponse(
                    {"error": f"give mode, seconds, rate, delay: {exc}"}, status=400
                )
        elif request.method != "GET":
            return JsonResponse({"error": "GET or POST"}, status=405)
        fault = fault_get(system)
        return JsonResponse({**asdict(fault), "active": fault.active})

    return view
