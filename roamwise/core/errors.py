"""Typed errors shared by every app.

A ``DomainError`` carries a stable machine-readable ``code`` and a message a
person can read; the API layer turns it into a 4xx JSON answer.
"""

from __future__ import annotations


class DomainError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class NotFound(DomainError):
    code = "not_found"
    status = 404


class InvalidTransition(DomainError):
    code = "invalid_transition"
    status = 409


class TransitionNotAllowed(InvalidTransition):
    """The state machine has no such move from the state the caller saw
    (roamwise.core.states): a mistake of the caller, whatever the row holds now."""


class StateChanged(InvalidTransition):
    """The row moved on between the caller reading it and moving it: reload and try again."""

    code = "state_changed"
