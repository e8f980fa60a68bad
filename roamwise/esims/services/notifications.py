"""What the SM-DP+ tells us (HandleDownloadProgressInfo): authenticated,
validated, recorded once and applied to the eSIM's state."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Mapping

import jsonschema
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from roamwise.core import states
from roamwise.core.errors import NotFound
from roamwise.core.parsing import identifier, json_loads, storable_text
from roamwise.core.signing import ES2_NOTIFICATION_HEADER, SignatureError, signature_verify
from roamwise.devices.validators import iccid_normalise

from ..errors import NotificationConflict, NotificationInvalid, NotificationRefused
from ..es2plus import (
    schema,
    w3c_datetime,
)
from ..models import (
    Esim,
    EsimState,
    ProgressReport,
)
from ..selectors import esim_by_iccid

log = logging.getLogger(__name__)

NOTIFICATION_SCHEMA = "ES2+HandleDownloadProgressInfo-def.json"

EID_FORMAT = re.compile(r"[0-9]{32}")


def _body_hash(payload: object) -> str:
    """The notification as parsed, in one spelling: a resend with its keys in
    another order or other spacing is the same notification."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _authenticate_notification(body: bytes, headers: Mapping[str, str]) -> None:
    """Mutual TLS checked by the proxy in front, or the shared-secret signature."""
    mtls_header = settings.ES2PLUS_NOTIFICATION_MTLS_HEADER
    if mtls_header and headers.get(mtls_header, "") == "SUCCESS":
        return
    try:
        signature_verify(
            body,
            headers.get(ES2_NOTIFICATION_HEADER, ""),
            settings.ES2PLUS_NOTIFICATION_SECRET,
            tolerance=600,
        )
    except SignatureError as exc:
        raise NotificationRefused(gettext("Notification refused: %(exc)s") % {"exc": exc}) from None


def progress_report_receive(*, body: bytes, headers: Mapping[str, str]) -> str:
    """HandleDownloadProgressInfo (SGP.22 §5.3.5): authenticate, validate against
    the ES2+ schema, apply once per functionCallIdentifier."""
    _authenticate_notification(body, headers)
    try:
        payload = json_loads(body)
    except ValueError as exc:
        raise NotificationInvalid(gettext("The body is not JSON: %(exc)s") % {"exc": exc}) from None
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft7Validator(schema(NOTIFICATION_SCHEMA)).iter_errors(payload)
    )
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "body"
        raise NotificationInvalid(
            gettext("Not a HandleDownloadProgressInfo (%(where)s): %(message)s")
            % {"where": where, "message": error.message}
        )
    header = payload.get("header")
    if not isinstance(header, dict):
        raise NotificationInvalid(
            gettext("The ES2+ header with its functionCallIdentifier is missing.")
        )
    try:
        call_id = identifier(
            header.get("functionCallIdentifier"), max_length=100, name="functionCallIdentifier"
        )
    except ValueError as exc:
        raise NotificationInvalid(
            gettext("Not a HandleDownloadProgressInfo: %(exc)s.") % {"exc": exc}
        ) from None
    # JSON Schema's "integer" takes 4.0 too, and its patterns take a final newline.
    point = payload["notificationPointId"]
    if not (isinstance(point, int) or point.is_integer()) or not 0 <= point < 2**31:
        raise NotificationInvalid(gettext("notificationPointId is out of range."))
    point = int(point)
    try:
        iccid = iccid_normalise(payload["iccid"])
    except ValueError:
        raise NotificationInvalid(
            gettext("iccid is not 19 or 20 digits (a 19-digit one may end with the pad 'F').")
        ) from None
    try:
        w3c_datetime(payload["timestamp"])
    except ValueError:
        raise NotificationInvalid(
            gettext(
                "timestamp is not a date and time as SGP.22 §5.2.1 gives it "
                "(YYYY-MM-DDThh:mm:ssTZD, e.g. 2001-12-17T09:30:47Z)."
            )
        ) from None
    eid = payload.get("eid", "")
    if eid and not EID_FORMAT.fullmatch(eid):
        raise NotificationInvalid(gettext("eid is not 32 digits."))
    esim = esim_by_iccid(iccid)
    if esim is None:
        raise NotFound(gettext("No eSIM has this ICCID."))
    status = payload["notificationPointStatus"]
    code_data = status.get("statusCodeData") or {}
    code = f"{code_data.get('subjectCode', '')}/{code_data.get('reasonCode', '')}".strip("/")
    requester = storable_text(header.get("functionRequesterIdentifier"), max_length=100)
    body_hash = _body_hash(payload)
    with transaction.atomic():
        try:
            with transaction.atomic():
                ProgressReport.objects.create(
                    requester=requester,
                    call_id=call_id,
                    esim=esim,
                    point=point,
                    status=storable_text(status["status"], max_length=24),
                    status_code=storable_text(code, max_length=20),
                    body_hash=body_hash,
                )
        except IntegrityError:
            earlier = ProgressReport.objects.get(requester=requester, call_id=call_id)
            if earlier.body_hash and earlier.body_hash != body_hash:
                log.warning(
                    "HandleDownloadProgressInfo %s from %s refused: the call identifier "
                    "came before with another body",
                    call_id,
                    requester,
                )
                raise NotificationConflict(
                    gettext(
                        "This functionCallIdentifier came before with another body: a new "
                        "notification needs a new functionCallIdentifier."
                    )
                ) from None
            return "duplicate"
        esim_download_progress(
            esim=esim,
            point=point,
            succeeded=status["status"] in ("Executed-Success", "Executed-WithWarning"),
            eid=eid,
            note=storable_text(code_data.get("message"), max_length=150),
        )
    return "applied"


def esim_download_progress(*, esim: Esim, point: int, succeeded: bool, eid: str, note: str) -> None:
    """Apply one progress notification to the eSIM's state (idempotent)."""
    if succeeded and point == 4 and esim.state in (EsimState.READY, EsimState.SUSPENDED):
        with transaction.atomic():
            if (
                states.try_move(
                    esim,
                    EsimState.INSTALLED,
                    actor="smdp",
                    note="installed on the device",
                    installed_at=timezone.now(),
                )
                and eid
            ):
                # Through the model, so the EID is sealed with the customer's key.
                esim.eid = eid
                esim.save(update_fields=["eid"])
        return
    if not succeeded and point in (3, 4) and esim.state == EsimState.READY:
        states.try_move(
            esim, EsimState.INSTALL_FAILED, actor="smdp", note=note or "download failed"
        )
