"""The parsed inbound-mail webhook: what the mail provider posts for each
email sent to a reply address. Validated strictly; anything else is refused."""

from __future__ import annotations

import base64
import binascii

from pydantic import BaseModel, ConfigDict, Field, field_validator

from roamwise.core.parsing import storable_text

from .attachments import Upload


def _storable(value: object) -> object:
    # NUL and lone surrogates cannot be stored (PostgreSQL, UTF-8): replaced (ADR 0017).
    return storable_text(value, max_length=len(value)) if isinstance(value, str) else value


class InboundAttachment(BaseModel):
    model_config = ConfigDict(extra="ignore")

    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=100)
    content: str = Field(description="base64")

    _clean = field_validator("filename", "content_type", mode="before")(_storable)

    def upload(self) -> Upload:
        try:
            data = base64.b64decode(self.content, validate=True)
        except (binascii.Error, ValueError):
            data = b""
        return Upload(filename=self.filename, content_type=self.content_type, content=data)


class InboundEmail(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    message_id: str = Field(min_length=1, max_length=250)
    sender: str = Field(alias="from", min_length=3, max_length=320)
    to: list[str] = Field(min_length=1, max_length=50)
    cc: list[str] = Field(default_factory=list, max_length=50)
    subject: str = Field("", max_length=1000)
    text: str = Field("", max_length=100_000)
    attachments: list[InboundAttachment] = Field(default_factory=list, max_length=20)

    @field_validator("to", "cc", mode="before")
    @classmethod
    def _as_list(cls, value: object) -> object:
        value = [value] if isinstance(value, str) else value
        return [_storable(v) for v in value] if isinstance(value, list) else value

    @field_validator("message_id", mode="after")
    @classmethod
    def _printable(cls, value: str) -> str:
        if not value.isprintable():
            raise ValueError("message_id must be printable text")
        return value

    @field_validator("sender", mode="before")
    @classmethod
    def _sender(cls, value: object) -> object:
        return _storable(value)

    @field_validator("subject", mode="before")
    @classmethod
    def _subject(cls, value: object) -> object:
        # A long subject does not make the reply invalid: kept, cut to what is stored.
        return storable_text(value, max_length=1000) if isinstance(value, str) else value

    @field_validator("text", mode="before")
    @classmethod
    def _body(cls, value: object) -> object:
        return storable_text(value, max_length=100_000) if isinstance(value, str) else value


def strip_quoted(text: str) -> str:
    """The new part of a reply: up to the quoted message it answers."""
    kept = []
    for line in text.replace("\r\n", "\n").split("\n"):
        stripped = line.strip()
        if stripped.startswith(">"):
            continue
        if stripped.startswith("On ") and stripped.endswith("wrote:"):
            break
        if stripped in ("-----Original Message-----", "-- "):
            break
        kept.append(line)
    return "\n".join(kept).strip()
