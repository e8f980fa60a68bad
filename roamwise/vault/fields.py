"""Encrypted model fields, sealed with their data subject's key.

    phone = EncryptedTextField(subject="user", row_key="user_id")

``subject`` is the attribute path from the row to its user ("self" on the
user model); ``row_key`` names an attribute that identifies the row before it
is saved, bound into the ciphertext with the table and column so that a value
copied to another row or column no longer opens.

Values are decrypted lazily, on first access of the attribute. Encrypted
columns cannot be filtered on; give the field a ``BlindIndexField`` for
equality look-ups.
"""

from __future__ import annotations

import datetime
import json
import re
import uuid
from typing import Any

from django.core.exceptions import FieldError
from django.db import models
from django.utils.translation import gettext

from . import services
from .services import Sealed

SELF = "self"
TOKEN = re.compile(r"^v1\.[0-9a-f]{32}\.[A-Za-z0-9+/]+={0,2}$")


def as_sealed(value: Any) -> Any:
    """A stored token read back from a fixture or dump is still ciphertext."""
    if isinstance(value, str) and TOKEN.match(value):
        return Sealed(value)
    return value


# Records kept under a legal obligation after their customer is erased (invoices)
# are sealed with a key per scope and year, "@billing:issued_at", which the
# retention sweep destroys once the period ends.
RETENTION_NAMESPACE = uuid.UUID("5b0c7f3e-2d8a-4c55-9a51-3f1f8f0f6a10")


def retention_subject(scope: str, year: int) -> uuid.UUID:
    return uuid.uuid5(RETENTION_NAMESPACE, f"{scope}:{year}")


def _subject_id(instance: models.Model, path: str) -> uuid.UUID:
    if path.startswith("@"):
        scope, _, date_attr = path[1:].partition(":")
        return retention_subject(scope, getattr(instance, date_attr).year)
    target: Any = instance
    if path != SELF:
        for part in path.split("."):
            target = getattr(target, part)
    subject_id = target.public_id
    if not isinstance(subject_id, uuid.UUID):
        subject_id = uuid.UUID(str(subject_id))
    return subject_id


class _EncryptedAttribute:
    def __init__(self, field: EncryptedMixin) -> None:
        self.field = field

    def __get__(self, instance: models.Model | None, owner: type) -> Any:
        if instance is None:
            return self
        value = instance.__dict__.get(self.field.attname)
        if isinstance(value, Sealed):
            plaintext = services.open_sealed(value, self.field.associated_data(instance))
            value = self.field.from_bytes(plaintext)
            instance.__dict__[self.field.attname] = value
        return value

    def __set__(self, instance: models.Model, value: Any) -> None:
        instance.__dict__[self.field.attname] = value


class EncryptedMixin(models.Field):
    """Stores ciphertext as text; the Python value is the plaintext."""

    def __init__(self, *args: Any, subject: str, row_key: str = "pk", **kwargs: Any) -> None:
        self.subject = subject
        self.row_key = row_key
        kwargs.pop("max_length", None)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["subject"] = self.subject
        kwargs["row_key"] = self.row_key
        return name, path, args, kwargs

    def get_internal_type(self) -> str:
        return "TextField"

    def contribute_to_class(
        self, cls: type[models.Model], name: str, private_only: bool = False
    ) -> None:
        super().contribute_to_class(cls, name, private_only=private_only)
        setattr(cls, self.attname, _EncryptedAttribute(self))

    def associated_data(self, instance: models.Model) -> bytes:
        row = getattr(instance, self.row_key)
        if row is None:
            raise FieldError(
                gettext("%(name)s.%(name2)s: %(row_key)s must be set before saving")
                % {"name": type(instance).__name__, "name2": self.name, "row_key": self.row_key}
            )
        prefix = self.__dict__.get("_aad_prefix")
        if prefix is None:
            prefix = self.__dict__["_aad_prefix"] = (
                f"{self.model._meta.db_table}\x1f{self.column}\x1f".encode()
            )
        # Several encrypted fields of one row share the row's part.
        cached = instance.__dict__.get("_vault_row")
        if cached is None or cached[0] != row:
            cached = instance.__dict__["_vault_row"] = (row, str(row).encode() + b"\x1f")
        return prefix + cached[1]

    def to_bytes(self, value: Any) -> bytes:
        raise NotImplementedError

    def from_bytes(self, data: bytes) -> Any:
        raise NotImplementedError

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return None if value is None else self.empty_value()
        return Sealed(value)

    def empty_value(self) -> Any:
        return None

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = model_instance.__dict__.get(self.attname)
        if isinstance(value, Sealed):
            return value.token
        if value is None or value == "":
            return value
        subject_id = _subject_id(model_instance, self.subject)
        return services.seal(subject_id, self.to_bytes(value), self.associated_data(model_instance))

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, Sealed):
            return value.token
        if value is None or value == "" or (isinstance(value, str) and value.startswith("v1.")):
            return value
        raise FieldError(
            gettext(
                "%(name)s is encrypted: it cannot be compared or filtered on; use its blind index"
            )
            % {"name": self.name}
        )

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        return None

    def value_to_string(self, obj: models.Model) -> str:
        # Serialisation (dumpdata, fixtures) writes ciphertext, never plaintext.
        token = self.pre_save(obj, add=False)
        return "" if token is None else str(token)


class EncryptedTextField(EncryptedMixin, models.TextField):
    def to_bytes(self, value: Any) -> bytes:
        return str(value).encode()

    def from_bytes(self, data: bytes) -> str:
        return data.decode()

    def to_python(self, value: Any) -> Any:
        return as_sealed(value)

    def empty_value(self) -> str:
        return ""


class EncryptedDateField(EncryptedMixin, models.DateField):  # type: ignore[misc]
    def to_bytes(self, value: Any) -> bytes:
        if isinstance(value, str):
            value = datetime.date.fromisoformat(value)
        return value.isoformat().encode()

    def from_bytes(self, data: bytes) -> datetime.date:
        return datetime.date.fromisoformat(data.decode())

    def to_python(self, value: Any) -> Any:
        value = as_sealed(value)
        if isinstance(value, Sealed):
            return value
        return super().to_python(value)


class EncryptedJSONField(EncryptedMixin, models.TextField):
    # For django-stubs: the Python value is any JSON value, not text.
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def to_bytes(self, value: Any) -> bytes:
        return json.dumps(value, sort_keys=True).encode()

    def from_bytes(self, data: bytes) -> Any:
        return json.loads(data)

    def to_python(self, value: Any) -> Any:
        return as_sealed(value)


class BlindIndexField(models.CharField):
    """HMAC-SHA256 of another field's plaintext, for equality look-ups."""

    def __init__(self, *args: Any, source: str, normalise: str = "strip", **kwargs: Any) -> None:
        self.source = source
        self.normalise = normalise
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs["normalise"] = self.normalise
        return name, path, args, kwargs

    def index_for(self, value: Any) -> str:
        return blind_index_value(self.model, self.source, value, self.normalise)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = getattr(model_instance, self.source)
        digest = "" if value in (None, "") else self.index_for(value)
        setattr(model_instance, self.attname, digest)
        return digest


def _normalised(value: Any, how: str) -> str:
    text = value.isoformat() if isinstance(value, datetime.date) else str(value)
    text = text.strip()
    return text.lower() if how == "lower" else text


def blind_index_value(
    model: type[models.Model], source: str, value: Any, how: str = "strip"
) -> str:
    purpose = f"{model._meta.db_table}.{source}"
    return services.blind_index(purpose, _normalised(value, how))


def blind_index_lookup(model: type[models.Model], index_field: str, value: Any) -> dict[str, str]:
    """``Model.objects.filter(**blind_index_lookup(Model, "phone_index", "+44..."))``."""
    field = model._meta.get_field(index_field)
    assert isinstance(field, BlindIndexField)
    return {index_field: field.index_for(value)}


class EncryptedBinaryField(EncryptedMixin, models.TextField):
    """Bytes (a file's content), sealed like any other value; stored as text."""

    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def to_bytes(self, value: Any) -> bytes:
        return bytes(value)

    def from_bytes(self, data: bytes) -> bytes:
        return data

    def to_python(self, value: Any) -> Any:
        return as_sealed(value)

    def empty_value(self) -> bytes:
        return b""
