"""Supplier reads."""

from __future__ import annotations

from datetime import datetime

from roamwise.suppliers.models import Allocation


def order_supplier(*, order_id: int) -> str:
    """Who supplied the order's eSIM, for staff: the wholesaler (with its package
    and order reference) or ES2+ (with the profile type); "" while nobody has."""
    from roamwise.esims.models import Esim

    used = (
        Allocation.objects.filter(order_id=order_id, disposition=Allocation.Disposition.FULFILLED)
        .order_by("-pk")
        .first()
    )
    if used is not None:
        return f"{used.supplier} (package {used.package_id}, order {used.reference})"
    esim = Esim.objects.filter(order_id=order_id).only("profile_type", "state").first()
    if esim is None or esim.state == "failed":
        return ""
    return f"ES2+ (profile type {esim.profile_type})"


def usage_read_at(*, order_id: int) -> datetime | None:
    """When the wholesaler that supplied the order's eSIM last reported its
    usage (the freshness of its balance); None over ES2+ or before a reading."""
    return (
        Allocation.objects.filter(order_id=order_id, disposition=Allocation.Disposition.FULFILLED)
        .values_list("usage_read_at", flat=True)
        .first()
    )
