from __future__ import annotations


class VaultError(Exception):
    pass


class DataErased(VaultError):
    """The subject's data key was destroyed: this value can never be read again.

    Templates render it as empty (``silent_variable_failure``); code gets the
    exception and can say "erased".
    """

    silent_variable_failure = True

    def __init__(self, subject_id: object) -> None:
        super().__init__(f"erased: the data key of subject {subject_id} was destroyed")
        self.subject_id = subject_id


class TamperedCiphertext(VaultError):
    """Authentication failed: the value was altered or moved to another row or column."""


class UnknownKeyVersion(VaultError):
    pass
