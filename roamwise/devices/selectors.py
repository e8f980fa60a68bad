"""Device compatibility: does a model take an eSIM, and are its EID and IMEI well formed?

The answer comes from a list shipped with the app (``data/esim_devices.json``).
Nothing typed into a check is stored, logged or sent anywhere (SIM-04): these
functions only read the list and compute check digits.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from importlib import resources

from .errors import InvalidEid, InvalidImei, InvalidModel
from .validators import (
    EID_LENGTH,
    IMEI_LENGTH,
    eid_is_valid,
    eid_normalise,
    imei_is_valid,
    imei_normalise,
)

MODEL_MAX_LENGTH = 100
# Room for a 32-digit EID typed in groups with spaces or dashes; longer is not an EID.
IDENTIFIER_MAX_LENGTH = 64
SUGGESTION_LIMIT = 5
SUGGESTION_CUTOFF = 0.6

# What the check accepts, written as JSON Schema patterns so that the API documents
# exactly the rule enforced here: whatever matches is answered (200), whatever does
# not is refused (422). Check digits cannot be written as a pattern, so a well-formed
# identifier with wrong ones is answered with ``eid_valid``/``imei_valid`` false.
MODEL_PATTERN = r"[A-Za-z0-9]"
EID_PATTERN = rf"^[ -]*(?:(?:[0-9][ -]*){{{EID_LENGTH}}})?$"
IMEI_PATTERN = rf"^[ -]*(?:(?:[0-9][ -]*){{{IMEI_LENGTH}}})?$"

MODEL_EMPTY = "Type your device's model, for example iPhone 15 or Galaxy S24."
MODEL_TOO_LONG = f"A model name is at most {MODEL_MAX_LENGTH} characters."
EID_MALFORMED = (
    f"An EID is {EID_LENGTH} digits (spaces are fine); find it in Settings > About, or dial *#06#."
)
EID_CHECK_FAILED = f"An EID is {EID_LENGTH} digits; this one fails its check digits."
IMEI_MALFORMED = f"An IMEI is {IMEI_LENGTH} digits (spaces are fine); dial *#06# to see it."
IMEI_CHECK_FAILED = f"An IMEI is {IMEI_LENGTH} digits; this one fails its check digit."

# "Samsung Galaxy S24" and "S24" both name the same phone; so does "moto razr 50".
_OPTIONAL_LINE_PREFIXES = ("galaxy",)
_EXTRA_BRAND_PREFIXES = ("moto",)
# Storage sizes are part of how shops name a phone, never part of its model.
_STORAGE = re.compile(r"\b\d+\s*(?:gb|tb)\b")
# Radio variants that do not change eSIM support: "Galaxy A54 5G" is the Galaxy A54.
_RADIO_SUFFIX = re.compile(r"(?:5g|lte|wifipluscellular|gpspluscellular|cellular)$")


@dataclass(frozen=True)
class Device:
    brand: str
    model: str
    kind: str
    aliases: tuple[str, ...]
    note: str
    compatible: bool

    @property
    def name(self) -> str:
        """The full name: "Apple iPhone 15 Pro", and "Xiaomi 13", not "Xiaomi Xiaomi 13"."""
        if self.model.casefold().startswith(self.brand.casefold()):
            return self.model
        return f"{self.brand} {self.model}"


@dataclass(frozen=True)
class DeviceCheck:
    compatible: bool | None
    matched: str
    note: str
    suggestions: list[str]
    eid_valid: bool | None
    imei_valid: bool | None


@dataclass(frozen=True)
class _DeviceList:
    devices: tuple[Device, ...]
    updated: date
    exact: dict[str, Device]
    loose: dict[str, Device]
    brand_prefixes: tuple[str, ...]


def _key(text: str) -> str:
    """Case, spacing, punctuation and storage size do not matter: "iphone15pro"."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _STORAGE.sub(" ", text)
    text = text.replace("+", "plus")
    return re.sub(r"[^0-9a-z]", "", text)


def _loose(key: str) -> str:
    return _RADIO_SUFFIX.sub("", key)


def _device_keys(device: Device) -> list[str]:
    keys = []
    for name in (device.model, *device.aliases):
        key = _key(name)
        keys.append(key)
        for prefix in _OPTIONAL_LINE_PREFIXES:
            if key.startswith(prefix) and len(key) > len(prefix):
                keys.append(key[len(prefix) :])
    return keys


@functools.cache
def _device_list() -> _DeviceList:
    source = resources.files("roamwise.devices").joinpath("data", "esim_devices.json")
    document = json.loads(source.read_text(encoding="utf-8"))
    devices = tuple(
        Device(
            brand=entry["brand"],
            model=entry["model"],
            kind=entry["kind"],
            aliases=tuple(entry.get("aliases", ())),
            note=entry.get("note", ""),
            compatible=entry.get("compatible", True),
        )
        for entry in document["devices"]
    )
    exact: dict[str, Device] = {}
    loose: dict[str, Device | None] = {}
    for device in devices:
        for key in _device_keys(device):
            exact.setdefault(key, device)
            loose_key = _loose(key)
            # A loose key two models share names neither of them.
            if loose.get(loose_key, device) is not device:
                loose[loose_key] = None
            else:
                loose[loose_key] = device
    brands = {_key(device.brand) for device in devices} | set(_EXTRA_BRAND_PREFIXES)
    return _DeviceList(
        devices=devices,
        updated=date.fromisoformat(document["updated"]),
        exact=exact,
        loose={key: device for key, device in loose.items() if device is not None},
        # Longest first, so "motorola" is tried before "moto".
        brand_prefixes=tuple(sorted(brands, key=len, reverse=True)),
    )


def device_list() -> tuple[Device, ...]:
    """Every model on the list, in the list's order."""
    return _device_list().devices


def device_list_updated() -> date:
    return _device_list().updated


def _query_keys(model: str) -> list[str]:
    """The typed model as a key, then without a leading brand name."""
    key = _key(model)
    keys = [key]
    for prefix in _device_list().brand_prefixes:
        if key.startswith(prefix) and len(key) > len(prefix):
            keys.append(key[len(prefix) :])
    return [k for k in keys if k]


def device_match(*, model: str) -> Device | None:
    known = _device_list()
    keys = _query_keys(model)
    for key in keys:
        if key in known.exact:
            return known.exact[key]
    for key in keys:
        device = known.loose.get(_loose(key))
        if device is not None:
            return device
    return None


def device_suggest(*, model: str, limit: int = SUGGESTION_LIMIT) -> list[str]:
    """Names of listed models close to what was typed, closest first."""
    known = _device_list()
    scored: dict[str, float] = {}
    for key in _query_keys(model):
        matcher = difflib.SequenceMatcher(b=key, autojunk=False)
        for candidate, device in known.exact.items():
            matcher.set_seq1(candidate)
            if matcher.real_quick_ratio() < SUGGESTION_CUTOFF:
                continue
            if matcher.quick_ratio() < SUGGESTION_CUTOFF:
                continue
            score = matcher.ratio()
            if score < SUGGESTION_CUTOFF:
                continue
            # "iPhone SE" is the start of every SE's name: those come first.
            if candidate.startswith(key):
                score += 1.0
            if score > scored.get(device.name, 0.0):
                scored[device.name] = score
    ranked = sorted(scored.items(), key=lambda item: (-item[1], item[0]))
    return [name for name, _ in ranked[:limit]]


def _check_model(model: str) -> None:
    if len(model) > MODEL_MAX_LENGTH:
        raise InvalidModel(MODEL_TOO_LONG)
    if not re.search(MODEL_PATTERN, model):
        raise InvalidModel(MODEL_EMPTY)


def _check_eid(eid: str) -> bool | None:
    if len(eid) > IDENTIFIER_MAX_LENGTH or not re.fullmatch(EID_PATTERN, eid):
        raise InvalidEid(EID_MALFORMED)
    digits = eid_normalise(eid)
    return eid_is_valid(digits) if digits else None


def _check_imei(imei: str) -> bool | None:
    if len(imei) > IDENTIFIER_MAX_LENGTH or not re.fullmatch(IMEI_PATTERN, imei):
        raise InvalidImei(IMEI_MALFORMED)
    digits = imei_normalise(imei)
    return imei_is_valid(digits) if digits else None


def device_check(*, model: str, eid: str = "", imei: str = "") -> DeviceCheck:
    """Whether ``model`` takes an eSIM, and whether the EID and IMEI (optional) are valid.

    ``compatible`` is None when the model is not on the list; ``suggestions``
    then names close ones. ``eid_valid``/``imei_valid`` are None when not given
    and False when the check digits are wrong. Input that breaks the patterns
    above raises ``InvalidModel``/``InvalidEid``/``InvalidImei`` (422).
    """
    _check_model(model)
    eid_valid = _check_eid(eid)
    imei_valid = _check_imei(imei)
    device = device_match(model=model)
    if device is None:
        return DeviceCheck(
            compatible=None,
            matched="",
            note="",
            suggestions=device_suggest(model=model),
            eid_valid=eid_valid,
            imei_valid=imei_valid,
        )
    return DeviceCheck(
        compatible=device.compatible,
        matched=device.name,
        note=device.note,
        suggestions=[],
        eid_valid=eid_valid,
        imei_valid=imei_valid,
    )
