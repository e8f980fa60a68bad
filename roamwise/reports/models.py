"""The reports hold no table of their own: they read invoices, refunds, orders
and the anonymous analytics counts. This model only carries the permission
that opens them."""

from __future__ import annotations

from django.db import models


class Report(models.Model):
    class Meta:
        managed = False  # no table: a home for the permission
        default_permissions = ()
        permissions = [
            ("view_reports", "Can see the sales, VAT and conversion reports"),
            ("view_supply", "Can see stock and suppliers at a glance"),
        ]

    def __str__(self) -> str:
        return "reports"
