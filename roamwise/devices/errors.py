from __future__ import annotations

from roamwise.core.errors import DomainError


class InvalidDeviceInput(DomainError):
    """Something typed into the compatibility check cannot be checked.

    ``field`` names the input at fault so a form can show the message next to it.
    The message never repeats the identifier itself.
    """

    code = "invalid_device_input"
    status = 422
    field = ""


class InvalidModel(InvalidDeviceInput):
    code = "invalid_model"
    field = "model"


class InvalidEid(InvalidDeviceInput):
    code = "invalid_eid"
    field = "eid"


class InvalidImei(InvalidDeviceInput):
    code = "invalid_imei"
    field = "imei"
