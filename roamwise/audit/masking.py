from __future__ import annotations


def mask_email(value: str) -> str:
    local, _, domain = (value or "").partition("@")
    if not domain:
        return "•••"
    return f"{local[:1]}•••@{domain}"


def mask_phone(value: str) -> str:
    value = value or ""
    return f"{value[:3]} ••• ••{value[-2:]}" if len(value) > 5 else "•••"
