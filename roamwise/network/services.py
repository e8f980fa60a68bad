"""What the network partner simulator does when the shop calls it: suspend,
resume and terminate a line, and add data bundles to it.

Every call is idempotent, as a real network's provisioning API is expected to
be: the shop retries after timeouts and must not double anything.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from .errors import Busy, Conflict, InvalidRequest, NetworkError
from .iccids import normalise_iccid
from .models import NetworkBundle, NetworkRequest, NetworkSubscription, SubscriptionState

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    SubscriptionState.ACTIVE: frozenset(
        {SubscriptionState.SUSPENDED, SubscriptionState.TERMINATED}
    ),
    SubscriptionState.SUSPENDED: frozenset(
        {SubscriptionState.ACTIVE, SubscriptionState.TERMINATED}
    ),
    SubscriptionState.TERMINATED: frozenset(),
}
# How often a transition re-reads a line that another request changed meanwhile.
TRANSITION_ATTEMPTS = 5
REFERENCE = re.compile(r"[A-Za-z0-9._:-]{1,64}")
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# Fits an integer column on every database (PostgreSQL's is signed 32-bit).
MAX_DATA_MB = 2**31 - 1
MAX_VALIDITY_DAYS = 3650


def _subscription_for(iccid: str) -> NetworkSubscription:
    # The real network learns a line from the SIM vendor's batch before the
    # shop ever calls; the simulator learns it on first contact. The unique
    # ICCID is what makes two first contacts at once create one line.
    subscription, _ = NetworkSubscription.objects.get_or_create(iccid=iccid)
    return subscription


def _transition(*, iccid: str, target: SubscriptionState, done: str) -> NetworkSubscription:
    subscription = _subscription_for(normalise_iccid(iccid))
    for _ in range(TRANSITION_ATTEMPTS):
        current = subscription.state
        if current == target:
            return subscription  # already there: a repeated request changes nothing
        if target not in ALLOWED_TRANSITIONS[current]:
            raise Conflict(f"This line is {current}; it cannot be {done}.")
        now = timezone.now()
        changed = NetworkSubscription.objects.filter(pk=subscription.pk, state=current).update(
            state=target, updated_at=now
        )
        if changed == 1:
            subscription.state, subscription.updated_at = target, now
            return subscription
        subscription.refresh_from_db()  # someone else moved it: decide again
    raise Busy("This line is being changed by other requests; try again.")


def subscription_suspend(*, iccid: str) -> NetworkSubscription:
    return _transition(iccid=iccid, target=SubscriptionState.SUSPENDED, done="suspended")


def subscription_resume(*, iccid: str) -> NetworkSubscription:
    return _transition(iccid=iccid, target=SubscriptionState.ACTIVE, done="resumed")


def subscription_terminate(*, iccid: str) -> NetworkSubscription:
    return _transition(iccid=iccid, target=SubscriptionState.TERMINATED, done="terminated")


def _check_bundle(*, reference: str, data_mb: int | None, validity_days: int) -> None:
    if not REFERENCE.fullmatch(reference):
        raise InvalidRequest(
            "reference must be 1 to 64 characters: letters, digits, '.', '_', ':' or '-'."
        )
    if data_mb is not None and not 0 < data_mb <= MAX_DATA_MB:
        raise InvalidRequest(f"data_mb must be between 1 and {MAX_DATA_MB}, or null (unlimited).")
    if not 1 <= validity_days <= MAX_VALIDITY_DAYS:
        raise InvalidRequest(f"validity_days must be between 1 and {MAX_VALIDITY_DAYS}.")


def _coverage(codes: list[str]) -> str:
    if len(codes) > 300 or not all(
        isinstance(code, str) and len(code) == 2 and code.isascii() and code.isupper()
        for code in codes
    ):
        raise InvalidRequest("coverage must be a list of at most 300 ISO 3166-1 alpha-2 codes.")
    return " ".join(sorted(set(codes)))


def _repeat(
    earlier: NetworkBundle,
    *,
    iccid: str,
    data_mb: int | None,
    validity_days: int,
    coverage: str = "",
) -> NetworkBundle:
    same = (
        earlier.subscription.iccid,
        earlier.data_mb,
        earlier.validity_days,
        earlier.coverage,
    ) == (iccid, data_mb, validity_days, coverage)
    if not same:
        raise Conflict("This reference was already used for a different bundle.")
    return earlier


def bundle_add(
    *,
    iccid: str,
    reference: str,
    data_mb: int | None,
    validity_days: int,
    coverage: list[str] | None = None,
) -> tuple[NetworkBundle, bool]:
    """Add a bundle to a line; ``(bundle, created)``.

    The same reference with the same content is the same bundle (answered
    again, also after the line was terminated); with other content, a conflict.
    """
    iccid = normalise_iccid(iccid)
    _check_bundle(reference=reference, data_mb=data_mb, validity_days=validity_days)
    places = _coverage(coverage or [])
    subscription = _subscription_for(iccid)
    with transaction.atomic():
        # Locked so that a termination waits for the bundle, or the bundle sees it.
        subscription = NetworkSubscription.objects.select_for_update().get(pk=subscription.pk)
        earlier = NetworkBundle.objects.select_related("subscription").filter(reference=reference)
        if (found := earlier.first()) is not None:
            return _repeat(
                found, iccid=iccid, data_mb=data_mb, validity_days=validity_days, coverage=places
            ), False
        if subscription.state == SubscriptionState.TERMINATED:
            raise Conflict("This line is terminated; no bundle can be added to it.")
        try:
            with transaction.atomic():
                bundle = NetworkBundle.objects.create(
                    subscription=subscription,
                    reference=reference,
                    data_mb=data_mb,
                    validity_days=validity_days,
                    coverage=places,
                )
        except IntegrityError:
            # A concurrent request with the same reference got there first.
            found = earlier.get()
            return _repeat(
                found, iccid=iccid, data_mb=data_mb, validity_days=validity_days, coverage=places
            ), False
    return bundle, True


Answer = tuple[int, dict[str, Any]]


class _NotKept(Exception):
    """An answer that says "try again" (5xx): not kept, so a repeat acts."""

    def __init__(self, answer: Answer) -> None:
        super().__init__(answer[0])
        self.answer = answer


def _fingerprint(request: dict[str, Any]) -> str:
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(earlier: NetworkRequest, fingerprint: str) -> Answer:
    if earlier.fingerprint != fingerprint:
        return 422, {"error": "This Idempotency-Key was already used for another request."}
    return earlier.status, earlier.body


def request_once(
    *, key: str | None, request: dict[str, Any], perform: Callable[[], Answer]
) -> Answer:
    """Answer a request once per ``Idempotency-Key``: the first time it is done
    and its answer kept, in one transaction; the same key again gets the same
    answer, and nothing is done twice, however late or concurrent the repeat.

    Without a key the request is simply done (every action is safe to repeat
    on its own, but not after another action came in between: that is what
    the key is for). ``perform`` answers (status, body); a ``NetworkError`` it
    raises is an answer too.
    """

    def answered() -> Answer:
        try:
            return perform()
        except NetworkError as exc:
            return exc.status, {"error": exc.message}

    if key is None:
        return answered()
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise InvalidRequest(
            "Idempotency-Key must be 1 to 64 characters: letters, digits, '.', '_', ':' or '-'."
        )
    fingerprint = _fingerprint(request)
    if (earlier := NetworkRequest.objects.filter(key=key).first()) is not None:
        return _replay(earlier, fingerprint)
    try:
        with transaction.atomic():
            status, body = answered()
            if status >= 500:
                raise _NotKept((status, body))
            # Unique key: a concurrent repeat waits for this insert, then replays it.
            NetworkRequest.objects.create(
                key=key, fingerprint=fingerprint, status=status, body=body
            )
    except _NotKept as not_kept:
        return not_kept.answer
    except IntegrityError:
        return _replay(NetworkRequest.objects.get(key=key), fingerprint)
    return status, body
