"""SM-DP+ behaviour: the four ES2+ functions an operator calls (SGP.22 §5.3),
the ES9+ download as a device would cause it, and the progress notifications
it sends back to the operator (HandleDownloadProgressInfo, §5.3.5)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from roamwise.core.tasks import enqueue_on_commit
from roamwise.devices.validators import eid_is_valid, iccid_normalise

from . import codes
from .codes import Es2Failure
from .models import Es2Call, ProfileState, ProgressNotification, SmdpProfile
from .tasks import deliver_notification as deliver_notification_task

RESERVED = (
    ProfileState.ALLOCATED,
    ProfileState.LINKED,
    ProfileState.CONFIRMED,
    ProfileState.RELEASED,
)
MAX_DOWNLOAD_ATTEMPTS = 5


def normalise_iccid(iccid: str) -> str:
    """A 19-digit ICCID with and without its 'F' pad is the same profile (§5.2.1)."""
    try:
        return iccid_normalise(iccid)
    except ValueError:
        raise codes.malformed("iccid is not valid") from None


def call_once(
    *,
    requester: str,
    call_id: str,
    function: str,
    request_hash: str,
    run: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    """Answer a call once per requester and functionCallIdentifier: a repeat of
    the same request gets the first answer again (and reserves nothing more);
    the identifier used for another request is refused."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                call = Es2Call.objects.create(
                    requester=requester,
                    call_id=call_id,
                    function=function,
                    request_hash=request_hash,
                )
        except IntegrityError:
            # On PostgreSQL this waits for a concurrent first call to commit.
            earlier = Es2Call.objects.get(requester=requester, call_id=call_id)
            if (earlier.function, earlier.request_hash) != (function, request_hash):
                raise codes.call_identifier_reused(call_id) from None
            return dict(earlier.answer or {})
        answer = run()
        Es2Call.objects.filter(pk=call.pk).update(answer=answer)
    return answer


def luhn_digit(digits: str) -> str:
    total = 0
    for index, char in enumerate(reversed(digits)):
        digit = int(char)
        if index % 2 == 0:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return str((10 - total % 10) % 10)


def new_matching_id() -> str:
    raw = secrets.token_hex(10).upper()
    return "-".join(raw[i : i + 5] for i in range(0, 20, 5))


def _profile_for(operator: str, iccid: str) -> SmdpProfile:
    profile = SmdpProfile.objects.select_for_update().filter(iccid=normalise_iccid(iccid)).first()
    if profile is None:
        raise codes.iccid_unknown(iccid)
    if profile.operator and profile.operator != operator:
        raise codes.iccid_not_allowed(iccid)
    return profile


def _save(profile: SmdpProfile, **changes: Any) -> SmdpProfile:
    for name, value in changes.items():
        setattr(profile, name, value)
    profile.updated_at = timezone.now()
    profile.save()
    return profile


def download_order(
    *, operator: str, eid: str, iccid: str, profile_type: str, call_id: str = ""
) -> SmdpProfile:
    with transaction.atomic():
        if iccid:
            profile = _profile_for(operator, iccid)
            if profile_type and profile.profile_type != profile_type:
                raise codes.profile_type_mismatch(profile_type)
            if profile.state != ProfileState.AVAILABLE:
                raise codes.iccid_in_use(iccid)
        else:
            of_type = SmdpProfile.objects.filter(profile_type=profile_type, operator=operator)
            if not of_type.exists():
                raise codes.profile_type_unknown(profile_type)
            skip = connection.features.has_select_for_update_skip_locked
            free = (
                of_type.filter(state=ProfileState.AVAILABLE)
                .order_by("iccid")
                .select_for_update(skip_locked=skip)
                .first()
            )
            if free is None:
                raise codes.profile_type_exhausted(profile_type)
            profile = free
        state = ProfileState.LINKED if eid else ProfileState.ALLOCATED
        return _save(profile, state=state, eid=eid, operator=operator, reserved_by_call=call_id)


def confirm_order(
    *,
    operator: str,
    iccid: str,
    eid: str,
    matching_id: str,
    confirmation_code: str,
    release: bool,
    smds_address: str = "",
) -> SmdpProfile:
    with transaction.atomic():
        profile = _profile_for(operator, iccid)
        if profile.state not in (ProfileState.ALLOCATED, ProfileState.LINKED):
            raise codes.invalid_transition(iccid, profile.state)
        if eid and profile.eid and eid != profile.eid:
            raise codes.eid_mismatch(eid)
        if smds_address and not (eid or profile.eid):
            # §5.3.2: with an SM-DS the EID is needed, here or in the DownloadOrder.
            raise codes.eid_missing()
        if matching_id and SmdpProfile.objects.filter(matching_id=matching_id).exists():
            raise codes.matching_id_in_use(matching_id)
        return _save(
            profile,
            eid=eid or profile.eid,
            matching_id=matching_id or new_matching_id(),
            confirmation_code_hash=(
                hashlib.sha256(confirmation_code.encode()).hexdigest() if confirmation_code else ""
            ),
            state=ProfileState.RELEASED if release else ProfileState.CONFIRMED,
        )


def cancel_order(
    *, operator: str, iccid: str, eid: str, matching_id: str, final_status: str
) -> SmdpProfile:
    if final_status not in (ProfileState.AVAILABLE, ProfileState.UNAVAILABLE):
        raise codes.malformed("finalProfileStatusIndicator must be Available or Unavailable")
    with transaction.atomic():
        profile = _profile_for(operator, iccid)
        if profile.state in (ProfileState.DOWNLOADED, ProfileState.INSTALLED):
            raise codes.already_downloaded(iccid)
        if profile.state not in (*RESERVED, ProfileState.ERROR):
            raise codes.invalid_transition(iccid, profile.state)
        if profile.eid:
            if not eid:
                raise codes.eid_missing()
            if eid != profile.eid:
                raise codes.eid_mismatch(eid)
        if profile.matching_id:
            if not matching_id:
                raise codes.missing("matchingId")
            if matching_id != profile.matching_id:
                raise codes.matching_id_mismatch(matching_id)
        if final_status == ProfileState.UNAVAILABLE:
            return _save(profile, state=ProfileState.UNAVAILABLE)
        return _save(
            profile,
            state=ProfileState.AVAILABLE,
            eid="",
            matching_id=None,
            confirmation_code_hash="",
            download_attempts=0,
            reserved_by_call="",
        )


def release_profile(*, operator: str, iccid: str) -> SmdpProfile:
    with transaction.atomic():
        profile = _profile_for(operator, iccid)
        if profile.state == ProfileState.RELEASED:
            return profile  # §5.3.4: already released is a success, no other action
        if profile.state != ProfileState.CONFIRMED:
            raise codes.invalid_transition(iccid, profile.state)
        return _save(profile, state=ProfileState.RELEASED)


def profile_status(*, operator: str, iccids: list[str], download_call: str) -> list[SmdpProfile]:
    """The agreed extension (SGP.22 §3.1.6 allows them): where are these profiles?

    By ICCID (as ostelco's vendors' ``getProfileStatus``), or by the
    functionCallIdentifier of a DownloadOrder whose answer the operator lost.
    """
    found = SmdpProfile.objects.filter(operator=operator)
    if download_call:
        return list(found.filter(reserved_by_call=download_call))
    return list(found.filter(iccid__in=[normalise_iccid(i) for i in iccids]).order_by("iccid"))


# --- What a phone's download causes (ES9+), and the operator notifications ---


class DeviceError(Exception):
    """The download cannot happen: no such released profile, or not for this device."""


class DeviceInputError(DeviceError):
    """What the device sent is not valid (an EID that fails its check digits)."""


def _notify(profile: SmdpProfile, point: int, failure: Es2Failure | None = None) -> None:
    url = settings.SMDP_OPERATORS.get(profile.operator)
    if not url:
        return
    status: dict[str, Any] = {"status": "Executed-Success"}
    if failure:
        status = {"status": "Failed", "statusCodeData": failure.status_code_data()}
    payload: dict[str, Any] = {
        "header": {
            "functionRequesterIdentifier": settings.SMDP_IDENTIFIER,
            "functionCallIdentifier": uuid.uuid4().hex,
        },
        "iccid": profile.iccid,
        "profileType": profile.profile_type,
        "timestamp": timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "notificationPointId": point,
        "notificationPointStatus": status,
    }
    if profile.eid:
        payload["eid"] = profile.eid
    notification = ProgressNotification.objects.create(profile=profile, url=url, payload=payload)
    enqueue_on_commit(deliver_notification_task, notification.pk)


def device_download(*, matching_id: str, eid: str, outcome: str = "installed") -> SmdpProfile:
    """Play the device's part: download and install a released profile, or fail.

    ``outcome``: "installed", "rejected" (end user refuses), "failed" (installation error).
    """
    if outcome not in ("installed", "rejected", "failed"):
        raise DeviceInputError("outcome must be installed, rejected or failed")
    if not (eid.isascii() and eid.isdigit() and eid_is_valid(eid)):
        raise DeviceInputError("an EID is 32 digits whose check digits are right (MOD 97-10)")
    with transaction.atomic():
        profile = SmdpProfile.objects.select_for_update().filter(matching_id=matching_id).first()
        # Released only: a profile goes to one device, once (§3.1.6; no second download).
        if profile is None or profile.state != ProfileState.RELEASED:
            raise DeviceError("no profile is ready for download with this activation code")
        if profile.eid and profile.eid != eid:
            raise DeviceError("this activation code is bound to another device")
        _save(profile, eid=eid, download_attempts=profile.download_attempts + 1)
        if profile.download_attempts > MAX_DOWNLOAD_ATTEMPTS:
            _save(profile, state=ProfileState.ERROR)
            _notify(profile, 3, Es2Failure("8.8.5", "6.4", "Maximum download attempts exceeded"))
            return profile
        if outcome == "rejected":
            _save(profile, state=ProfileState.ERROR)
            _notify(profile, 3, Es2Failure("8.8.5", "3.8", "Refused by the end user"))
            return profile
        _save(profile, state=ProfileState.DOWNLOADED)
        _notify(profile, 3)
        if outcome == "failed":
            _save(profile, state=ProfileState.ERROR)
            _notify(profile, 4, Es2Failure("8.2.10", "4.2", "Profile installation failed"))
            return profile
        _save(profile, state=ProfileState.INSTALLED)
        _notify(profile, 4)
        return profile


def inventory_add(*, profile_type: str, count: int, operator: str, prefix: str = "8944990") -> int:
    """Add ``count`` Available profiles with Luhn-valid 19-digit ICCIDs."""
    last = (
        SmdpProfile.objects.filter(iccid__startswith=prefix)
        .order_by("-iccid")
        .values_list("iccid", flat=True)
        .first()
    )
    start = int(last[len(prefix) : 18]) + 1 if last else 1
    body_length = 18 - len(prefix)
    profiles = []
    for number in range(start, start + count):
        body = f"{prefix}{number:0{body_length}d}"
        profiles.append(
            SmdpProfile(iccid=body + luhn_digit(body), profile_type=profile_type, operator=operator)
        )
    SmdpProfile.objects.bulk_create(profiles)
    return len(profiles)
