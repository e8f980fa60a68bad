"""JSON serialisation (``dumpdata``, fixtures) that writes encrypted fields as
their ciphertext. Registered for "json" in ``SERIALIZATION_MODULES``."""

from __future__ import annotations

from typing import Any

from django.core.serializers.json import Deserializer as Deserializer
from django.core.serializers.json import Serializer as JSONSerializer

from .fields import EncryptedMixin


class Serializer(JSONSerializer):
    def handle_field(self, obj: Any, field: Any) -> None:
        if isinstance(field, EncryptedMixin):
            self._current[field.name] = field.value_to_string(obj) or None  # type: ignore[attr-defined]
            return
        super().handle_field(obj, field)


__all__ = ["Deserializer", "Serializer"]
