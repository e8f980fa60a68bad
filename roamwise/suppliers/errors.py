"""Typed errors of eSIM suppliers: each says whether trying again can help."""

from __future__ import annotations

from roamwise.core.errors import DomainError


class SupplierError(DomainError):
    """A supplier refused or failed a call. ``retryable``: the same call may succeed later."""

    code = "supplier_error"
    status = 502
    retryable = False

    def __init__(
        self, message: str, *, supplier_code: str = "", detail: str = "", retry_after: float = 0
    ) -> None:
        super().__init__(message)
        self.supplier_code = supplier_code  # ours: "airalo", "esimaccess"
        self.detail = detail  # the supplier's own error code, when it gives one
        self.retry_after = retry_after


class SupplierUnavailable(SupplierError):
    """Down, timed out, 5xx or rate limited: retry later (after ``retry_after`` seconds)."""

    code = "supplier_unavailable"
    status = 503
    retryable = True


class OutOfStock(SupplierError):
    """No profile is left for the package: another supplier may have one."""

    code = "supplier_out_of_stock"
    status = 409


class NoCredit(SupplierError):
    """Our prepaid balance at the supplier does not cover the order."""

    code = "supplier_no_credit"
    status = 402


class SupplierNotFound(SupplierError):
    """The package, order or ICCID is unknown to the supplier."""

    code = "supplier_not_found"
    status = 404


class SupplierRejected(SupplierError):
    """The supplier refused the request as it stands (bad credentials, bad input)."""

    code = "supplier_rejected"
    status = 400


class NotOffered(SupplierError):
    """The supplier's API has no such operation (see ``Supplier.capabilities``)."""

    code = "supplier_not_offered"
    status = 400


class NeedsReconciliation(SupplierError):
    """An earlier order under this transaction id got no answer, and the supplier
    does not deduplicate: sending it again could buy a second profile."""

    code = "supplier_needs_reconciliation"
    status = 409


class InvalidWebhook(DomainError):
    code = "invalid_webhook"
    status = 400
