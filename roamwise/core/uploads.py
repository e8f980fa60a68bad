"""Files customers send us (ticket attachments, evidence for a correction):
a few, each small, of a few types, and each what its type says, checked by its
first bytes, not by its name or the type the browser claims."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .errors import DomainError

SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "application/pdf": (b"%PDF-",),
}
_UNSAFE_NAME = re.compile(r"[^\w.\- ()]+")


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class UploadLimits:
    max_count: int
    max_bytes: int
    types: tuple[str, ...]
    types_text: str  # the allowed types as a customer reads them
    fallback_name: str


def safe_filename(name: str, fallback: str = "attachment") -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return _UNSAFE_NAME.sub("_", base).strip(" .")[:120] or fallback


def content_matches(content_type: str, content: bytes) -> bool:
    if content_type == "text/plain":
        if b"\x00" in content:
            return False
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True
    signatures = SIGNATURES.get(content_type)
    return bool(signatures) and content.startswith(signatures)  # type: ignore[arg-type]


def uploads_check(
    uploads: Sequence[Upload], *, limits: UploadLimits, rejected: type[DomainError]
) -> list[Upload]:
    """The uploads with safe names and plain types; ``rejected`` naming the
    first file over a limit."""
    if len(uploads) > limits.max_count:
        raise rejected(f"Attach at most {limits.max_count} files.")
    checked = []
    for upload in uploads:
        name = safe_filename(upload.filename, limits.fallback_name)
        content_type = upload.content_type.split(";", 1)[0].strip().lower()
        if len(upload.content) > limits.max_bytes:
            raise rejected(f"{name} is larger than {limits.max_bytes / (1024 * 1024):g} MB.")
        if not upload.content:
            raise rejected(f"{name} is empty.")
        if content_type not in limits.types:
            raise rejected(
                f"{name}: files of type {content_type or 'unknown'} cannot be attached "
                f"(allowed: {limits.types_text})."
            )
        if not content_matches(content_type, upload.content):
            raise rejected(f"{name} is not a valid {content_type} file.")
        checked.append(Upload(filename=name, content_type=content_type, content=upload.content))
    return checked


def base64_length(size: int) -> int:
    """Characters of ``size`` bytes in base64 with padding (RFC 4648 §4)."""
    return 4 * ((size + 2) // 3)


# Room in a JSON body for everything but the files' content: the other fields,
# each attachment's name and type, and JSON's escapes of them.
JSON_BODY_ROOM = 256 * 1024


def json_body_limit(*, max_count: int, max_bytes: int) -> int:
    """The largest JSON body an endpoint taking ``max_count`` files of up to
    ``max_bytes`` each, as base64, needs to accept."""
    return max_count * base64_length(max_bytes) + JSON_BODY_ROOM
