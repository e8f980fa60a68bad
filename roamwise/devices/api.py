from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Router, Schema

from roamwise.core.schemas import ErrorOut

from . import selectors

# Anonymous: checking a device needs no account. With no cookie authentication
# there is no CSRF check either, and nothing to forge: the check stores nothing.
router = Router(tags=["devices"])


class DeviceCheckIn(Schema):
    model: str = Field(
        max_length=selectors.MODEL_MAX_LENGTH,
        description="Marketing name or model number, e.g. 'iPhone 15 Pro' or 'SM-S911B'.",
    )
    eid: str | None = Field(
        None,
        max_length=selectors.IDENTIFIER_MAX_LENGTH,
        description="Optional. 32 digits; spaces and dashes are ignored.",
    )
    imei: str | None = Field(
        None,
        max_length=selectors.IDENTIFIER_MAX_LENGTH,
        description="Optional. 15 digits; spaces and dashes are ignored.",
    )


class DeviceCheckOut(Schema):
    compatible: bool | None = Field(
        description="Whether the model takes a travel eSIM; null when it is not on our list."
    )
    matched: str = Field(description="The listed model's full name; empty when not matched.")
    note: str = Field(description="Which variants of the model are excluded, if any.")
    suggestions: list[str] = Field(description="Close names when the model was not matched.")
    eid_valid: bool | None = Field(
        description="True when an EID was given (a malformed one is refused); null when not."
    )
    imei_valid: bool | None = Field(
        description="True when an IMEI was given (a malformed one is refused); null when not."
    )


@router.post(
    "/devices/check",
    response={200: DeviceCheckOut, 400: ErrorOut, 422: ErrorOut},
    summary="Check whether a device supports eSIM (nothing is stored)",
)
def check_device(request: HttpRequest, body: DeviceCheckIn) -> DeviceCheckOut:
    result = selectors.device_check(model=body.model, eid=body.eid or "", imei=body.imei or "")
    return DeviceCheckOut(
        compatible=result.compatible,
        matched=result.matched,
        note=result.note,
        suggestions=result.suggestions,
        eid_valid=result.eid_valid,
        imei_valid=result.imei_valid,
    )
