"""The network partners' side of the API: batches of usage records (SIM-05).

Partners authenticate with ``Authorization: Bearer <key>``; each partner has
its own request rate (USE-05). Every record of a batch is answered: accepted,
duplicate (already received, nothing changed) or rejected with its reason.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.security import HttpBearer

from roamwise.core.ratelimit import rate_limit
from roamwise.core.schemas import ErrorOut

from . import services
from .models import Partner


class PartnerKeyAuth(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> Partner | None:
        return services.partner_for_key(token)


router = Router(tags=["network partners"], auth=PartnerKeyAuth())


class UsageBatchIn(Schema):
    records: list[Any] = Field(
        ...,
        max_length=services.API_BATCH_LIMIT,
        description=(
            "Usage records: record_id, iccid, session_start, session_end (ISO 8601 with a "
            "time zone), bytes_up, bytes_down, visited_network (MCC-MNC). cell_id and "
            "location_area are accepted and dropped."
        ),
    )


class RejectionOut(Schema):
    index: int = Field(..., description="Position of the record in the batch, from 0.")
    record_id: str | None
    reason: str


class UsageBatchOut(Schema):
    accepted: int
    duplicates: int
    rejected: int
    accepted_ids: list[str]
    duplicate_ids: list[str]
    rejections: list[RejectionOut]


@router.post(
    "/usage/records",
    response={200: UsageBatchOut, 401: ErrorOut, 413: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="Send a batch of usage records (network partners)",
)
def post_usage_records(request: HttpRequest, body: UsageBatchIn) -> UsageBatchOut:
    partner: Partner = request.auth  # type: ignore[attr-defined]
    rate_limit(
        key=f"usage-partner:{partner.pk}",
        limit=partner.requests_per_minute,
        window_seconds=60,
    )
    result = services.usage_ingest_batch(partner=partner, raw_records=body.records)
    return UsageBatchOut(
        accepted=result.accepted,
        duplicates=result.duplicates,
        rejected=len(result.rejected),
        accepted_ids=result.accepted_ids,
        duplicate_ids=result.duplicate_ids,
        rejections=[
            RejectionOut(index=r.line, record_id=r.record_id, reason=r.reason)
            for r in result.rejected
        ],
    )
