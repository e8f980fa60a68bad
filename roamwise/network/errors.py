"""What the network partner simulator answers when it will not do something.

Each error carries the HTTP status the simulator's API answers with and a
message the shop may show a customer.
"""

from __future__ import annotations


class NetworkError(Exception):
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidRequest(NetworkError):
    status = 400


class UnknownSubscription(NetworkError):
    status = 404


class Conflict(NetworkError):
    status = 409


class Busy(NetworkError):
    """The line kept changing under a request; trying again will help."""

    status = 503
