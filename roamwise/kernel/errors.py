from __future__ import annotations


class PolicyError(Exception):
    """A policy version cannot be published, accepted or loaded as asked; the message says why."""
