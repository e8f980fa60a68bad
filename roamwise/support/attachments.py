"""What a customer may attach to a ticket: the types and sizes of the
``SUPPORT_ATTACHMENT_*`` settings, each file checked by its content."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings

from roamwise.core import uploads
from roamwise.core.uploads import Upload, UploadLimits

from .errors import AttachmentRejected

__all__ = ["Upload", "uploads_check"]


def uploads_check(files: Sequence[Upload]) -> list[Upload]:
    """Raise ``AttachmentRejected`` naming the first file over a limit."""
    allowed = tuple(settings.SUPPORT_ATTACHMENT_TYPES)
    limits = UploadLimits(
        max_count=settings.SUPPORT_ATTACHMENT_MAX_COUNT,
        max_bytes=settings.SUPPORT_ATTACHMENT_MAX_BYTES,
        types=allowed,
        types_text=", ".join(allowed),
        fallback_name="attachment",
    )
    return uploads.uploads_check(files, limits=limits, rejected=AttachmentRejected)
