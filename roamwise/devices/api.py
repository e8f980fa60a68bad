from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Router, Schema

from roamwise.core.schemas import ErrorOut

from . import selectors

# Anonymous: checking a device needs no account. With no cookie authentication
# there is no CSRF check either, and nothing to forge: the check stores nothing.
router = Router(tags=["devices"])


class DeviceCheckIn(Schema):
    # The limits are documented here but enforced by the selector, which refuses
    # with the same clear messages as the web page.
    model: str = Field(
        description="Marketing name or model number, e.g. 'iPhone 15 Pro' or 'SM-S911B'.",
        json_schema_extra={
            "maxLength": selectors.MODEL_MAX_LENGTH,
            "pattern": selectors.MODEL_PATTERN,
        },
    )
    eid: str | None = Field(
        None,
        description="Optional. 32 digits; spaces and dashes between them are ignored.",
        json_schema_extra={
            "maxLength": selectors.IDENTIFIER_MAX_LENGTH,
            "pattern": selectors.EID_PATTERN,
        },
    )
    imei: str | None = Field(
        None,
        description="Optional. 15 digits; spaces and dashes between them are ignored.",
        json_schema_extra={
            "maxLength": selectors.IDENTIFIER_MAX_LENGTH,
            "pattern": selectors.IMEI_PATTERN,
        },
    )


class DeviceCheckOut(Schema):
    compatible: bool | None = Field(
        description="Whether the model takes a travel eSIM; null when it is not on our list."
    )
    matched: str = Field(description="The listed model's full name; empty when not matched.")
    note: str = Field(description="Which variants of the model are excluded, if any.")
    suggestions: list[str] = Field(description="Close names when the model was not matched.")
    eid_valid: bool | None = Field(
        description="Whether the EID's check digits are right; null when none was given."
    )
    imei_valid: bool | None = Field(
        description="Whether the IMEI's check digit is right; null when none was given."
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
