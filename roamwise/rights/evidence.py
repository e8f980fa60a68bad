"""Files that support a correction request: PNG, JPEG, PDF or plain text,
a few and each small (``RIGHTS_EVIDENCE_*`` settings)."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings

from roamwise.core.uploads import Upload, UploadLimits, uploads_check

from .errors import EvidenceRejected

__all__ = ["ALLOWED_TYPES", "Upload", "evidence_check"]

ALLOWED_TYPES = ("image/png", "image/jpeg", "application/pdf", "text/plain")


def evidence_check(uploads: Sequence[Upload]) -> list[Upload]:
    limits = UploadLimits(
        max_count=settings.RIGHTS_EVIDENCE_MAX_COUNT,
        max_bytes=settings.RIGHTS_EVIDENCE_MAX_BYTES,
        types=ALLOWED_TYPES,
        types_text="PNG, JPEG, PDF, plain text",
        fallback_name="evidence",
    )
    return uploads_check(uploads, limits=limits, rejected=EvidenceRejected)
